"""The supervisor's metrics, as a cluster exports them: cAdvisor's container metrics (the kubelet's
``/metrics/cadvisor``) and kube-state-metrics' pod, container and deployment series, labelled
``namespace``, ``pod``, ``container`` (``deployment`` for a Deployment's).

cAdvisor reads each replica's process (``/proc/<pid>/stat`` and ``statm``) and the CFS counters its pod
keeps in its ``cpu.stat`` file (``services/cpu.py``); kube-state-metrics reads the pods and deployments
the supervisor serves in the Kubernetes wire format (``cluster.py``), as the real one reads the API.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from evals.lab.services.cpu import PERIOD_S, read_cpu_stat
from evals.lab.topology import CPU_LIMIT_CORES, MEMORY_LIMIT_MB, NAMESPACE, LabLayout

__all__ = ["Container", "Cadvisor", "KubeStateMetrics", "process_cpu_seconds"]

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
POD_LABELS = ["namespace", "pod", "container"]


@dataclass(frozen=True)
class Container:
    """A running replica: its pod, its container (the service) and its process."""

    pod: str
    container: str
    pid: int


def process_cpu_seconds(pid: int) -> float | None:
    """User and system CPU time of process ``pid`` (``/proc/<pid>/stat``); None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime: fields 14 and 15 of stat(5)
    except (OSError, ValueError, IndexError):
        return None


def _resident_bytes(pid: int) -> float | None:
    """Resident memory of process ``pid``; None when it is gone — or dead and not yet reaped (a zombie has
    no pages), which cAdvisor, whose container is gone, would not report as an empty working set."""
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE or None
    except (OSError, ValueError, IndexError):
        return None


class Cadvisor:
    """``container_*`` for every running replica: CPU used, working set (the resident memory the OOM
    killer compares with the limit), the limits, and CFS periods and throttling."""

    def __init__(self, layout: LabLayout, containers: Callable[[], list[Container]]) -> None:
        self.layout = layout
        self.containers = containers

    def collect(self) -> list[Metric]:
        cpu = CounterMetricFamily(
            "container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", labels=POD_LABELS
        )
        working_set = GaugeMetricFamily(
            "container_memory_working_set_bytes", "Current working set in bytes.", labels=POD_LABELS
        )
        limit = GaugeMetricFamily(
            "container_spec_memory_limit_bytes", "Memory limit for the container.", labels=POD_LABELS
        )
        quota = GaugeMetricFamily("container_spec_cpu_quota", "CPU quota of the container.", labels=POD_LABELS)
        period = GaugeMetricFamily("container_spec_cpu_period", "CPU period of the container.", labels=POD_LABELS)
        periods = CounterMetricFamily(
            "container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals.", labels=POD_LABELS
        )
        throttled = CounterMetricFamily(
            "container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.", labels=POD_LABELS
        )
        throttled_s = CounterMetricFamily(
            "container_cpu_cfs_throttled_seconds_total",
            "Total time duration the container has been throttled.",
            labels=POD_LABELS,
        )
        for item in self.containers():
            labels = [NAMESPACE, item.pod, item.container]
            used, resident = process_cpu_seconds(item.pid), _resident_bytes(item.pid)
            if used is None or resident is None:
                continue
            cpu.add_metric(labels, used)
            working_set.add_metric(labels, resident)
            limit.add_metric(labels, MEMORY_LIMIT_MB * 1e6)
            quota.add_metric(labels, CPU_LIMIT_CORES * PERIOD_S * 1e6)
            period.add_metric(labels, PERIOD_S * 1e6)
            stat = read_cpu_stat(self.layout.cpu_stat_file(item.pod))
            if stat:
                periods.add_metric(labels, stat.get("nr_periods", 0))
                throttled.add_metric(labels, stat.get("nr_throttled", 0))
                throttled_s.add_metric(labels, stat.get("throttled_usec", 0) / 1e6)
        return [cpu, working_set, limit, quota, period, periods, throttled, throttled_s]


class KubeStateMetrics:
    """``kube_pod_*`` and ``kube_deployment_*`` from the pods (PodList items) and each Deployment's
    wanted replicas."""

    def __init__(self, pods: Callable[[], list[dict[str, Any]]], replicas: Callable[[], dict[str, int]]) -> None:
        self.pods = pods
        self.replicas = replicas

    def collect(self) -> list[Metric]:
        restarts = CounterMetricFamily(
            "kube_pod_container_status_restarts_total",
            "The number of container restarts per container.",
            labels=POD_LABELS,
        )
        ready = GaugeMetricFamily(
            "kube_pod_container_status_ready",
            "Describes whether the containers readiness check succeeded.",
            labels=POD_LABELS,
        )
        pod_ready = GaugeMetricFamily(
            "kube_pod_status_ready",
            "Describes whether the pod is ready to serve requests.",
            labels=["namespace", "pod", "condition"],
        )
        waiting = GaugeMetricFamily(
            "kube_pod_container_status_waiting_reason",
            "Describes the reason the container is currently in waiting state.",
            labels=[*POD_LABELS, "reason"],
        )
        terminated = GaugeMetricFamily(
            "kube_pod_container_status_last_terminated_reason",
            "Describes the last reason the container was in terminated state.",
            labels=[*POD_LABELS, "reason"],
        )
        owner = GaugeMetricFamily(
            "kube_pod_owner",
            "Information about the Pod's owner.",
            labels=["namespace", "pod", "owner_kind", "owner_name", "owner_is_controller"],
        )
        available: dict[str, int] = {}
        for item in self.pods():
            meta, status = item["metadata"], item["status"]
            pod = meta["name"]
            service = meta["labels"].get("app.kubernetes.io/name", "")
            owner.add_metric(
                [NAMESPACE, pod, "ReplicaSet", f"{service}-{meta['labels'].get('pod-template-hash', '')}", "true"], 1.0
            )
            is_ready = False
            for container in status.get("containerStatuses", []):
                labels = [NAMESPACE, pod, container["name"]]
                is_ready = bool(container.get("ready"))
                restarts.add_metric(labels, float(container.get("restartCount", 0)))
                ready.add_metric(labels, 1.0 if is_ready else 0.0)
                reason = (container.get("state", {}).get("waiting") or {}).get("reason")
                if reason:
                    waiting.add_metric([*labels, reason], 1.0)
                last = (container.get("lastState", {}).get("terminated") or {}).get("reason")
                if last:
                    terminated.add_metric([*labels, last], 1.0)
            for condition in ("true", "false", "unknown"):
                pod_ready.add_metric(
                    [NAMESPACE, pod, condition],
                    1.0 if (condition == "true") == is_ready and condition != "unknown" else 0.0,
                )
            available[service] = available.get(service, 0) + is_ready
        spec = GaugeMetricFamily(
            "kube_deployment_spec_replicas",
            "Number of desired pods for a deployment.",
            labels=["namespace", "deployment"],
        )
        ready_replicas = GaugeMetricFamily(
            "kube_deployment_status_replicas_available",
            "The number of available replicas per deployment.",
            labels=["namespace", "deployment"],
        )
        for service, count in self.replicas().items():
            spec.add_metric([NAMESPACE, service], float(count))
            ready_replicas.add_metric([NAMESPACE, service], float(available.get(service, 0)))
        return [restarts, ready, pod_ready, waiting, terminated, owner, spec, ready_replicas]
