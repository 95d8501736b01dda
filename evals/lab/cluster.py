"""The lab's processes as Kubernetes shows a workload: a pod per replica (its restart count, its
container running or waiting in ``CrashLoopBackOff``, how it last terminated — ``Error``,
``OOMKilled``), the kubelet's events, one node, and a Deployment per service with a ReplicaSet per
version it ran.

The supervisor serves these objects in the Kubernetes wire format on its control port, so Andon reads
the lab with its ordinary ``KubernetesSource`` (``k8s_pods``, ``k8s_events``, ``k8s_rollout_history``):

    GET /api/v1/pods                  /api/v1/namespaces/lab/pods
    GET /api/v1/events                /api/v1/namespaces/lab/events
    GET /api/v1/nodes
    GET /apis/apps/v1/deployments     /apis/apps/v1/namespaces/lab/deployments[/NAME]
    GET /apis/apps/v1/namespaces/lab/replicasets
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from evals.lab.state import load_service_state
from evals.lab.topology import CPU_LIMIT_CORES, MEMORY_LIMIT_MB, NAMESPACE, SERVICES, LabLayout

__all__ = ["Pod", "Termination", "EventRecorder", "NODE", "kube_answer", "pod_object", "template_hash", "image_of"]

NODE = "lab-node-1"
"""The one node every lab pod runs on."""
SERVICE_LABEL = "app.kubernetes.io/name"
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
"""The characters Kubernetes uses in generated names."""


def _timestamp(ts: float, micro: bool = False) -> str:
    moment = datetime.fromtimestamp(ts, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S" + (".%fZ" if micro else "Z"))


def template_hash(service: str, version: str) -> str:
    """The ``pod-template-hash`` of a service's pods at ``version`` (one ReplicaSet per version)."""
    digest = hashlib.sha1(f"{service}@{version}".encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:10])


def image_of(service: str, version: str) -> str:
    return f"registry.lab.local/shop/{service}:{version}"


@dataclass
class Termination:
    """How a container last ended: its exit code and the kubelet's reason (``Error``, ``OOMKilled``)."""

    exit_code: int
    reason: str
    started: float
    finished: float

    @classmethod
    def of(cls, returncode: int, oom_killed: bool, started: float, finished: float) -> Termination:
        exit_code = 128 - returncode if returncode < 0 else returncode  # killed by signal N: 128 + N
        reason = "OOMKilled" if oom_killed else "Completed" if exit_code == 0 else "Error"
        return cls(exit_code, reason, started, finished)

    def to_wire(self) -> dict[str, Any]:
        return {
            "exitCode": self.exit_code,
            "reason": self.reason,
            "startedAt": _timestamp(self.started),
            "finishedAt": _timestamp(self.finished),
        }


@dataclass
class Pod:
    """One replica's pod. A crashed process restarts inside it (``restarts`` + 1); a rollout, a rolling
    restart or a scale-up makes a new pod."""

    name: str
    service: str
    version: str
    created: float
    restarts: int = 0
    last: Termination | None = None

    @classmethod
    def new(cls, service: str, version: str, now: float | None = None) -> Pod:
        suffix = "".join(random.choice(_ALPHABET) for _ in range(5))
        return cls(
            f"{service}-{template_hash(service, version)}-{suffix}",
            service,
            version,
            time.time() if now is None else now,
        )


def pod_object(pod: Pod, *, running: bool, started: float, backoff_s: float | None = None) -> dict[str, Any]:
    """``pod`` as a PodList item. ``backoff_s``: the container is waiting that long before its next restart."""
    if running:
        state: dict[str, Any] = {"running": {"startedAt": _timestamp(started)}}
    elif backoff_s is not None:
        state = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {backoff_s:.1f}s restarting failed container={pod.service} pod={pod.name}",
            }
        }
    elif pod.last is not None:
        state = {"terminated": pod.last.to_wire()}
    else:
        state = {"waiting": {"reason": "ContainerCreating"}}
    container = {
        "name": pod.service,
        "image": image_of(pod.service, pod.version),
        "ready": running,
        "restartCount": pod.restarts,
        "started": running,
        "state": state,
        "lastState": {"terminated": pod.last.to_wire()} if pod.last else {},
    }
    condition = "True" if running else "False"
    return {
        "metadata": {
            "name": pod.name,
            "namespace": NAMESPACE,
            "creationTimestamp": _timestamp(pod.created),
            "labels": {SERVICE_LABEL: pod.service, "pod-template-hash": template_hash(pod.service, pod.version)},
        },
        "spec": {
            "nodeName": NODE,
            "containers": [
                {
                    "name": pod.service,
                    "image": image_of(pod.service, pod.version),
                    "resources": {
                        "limits": {"cpu": f"{int(CPU_LIMIT_CORES * 1000)}m", "memory": f"{int(MEMORY_LIMIT_MB)}Mi"}
                    },
                }
            ],
        },
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "PodScheduled", "status": "True"},
                {"type": "Ready", "status": condition},
                {"type": "ContainersReady", "status": condition},
            ],
            "containerStatuses": [container],
        },
    }


class EventRecorder:
    """The kubelet's events, aggregated like the API server's: a repeat of the same reason and message for
    the same object bumps ``count`` and ``lastTimestamp``."""

    def __init__(self, limit: int = 500) -> None:
        self.limit = limit
        self._items: OrderedDict[tuple[str, str, str, str], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._serial = 0

    def record(self, pod: str, reason: str, message: str, kind: str = "Normal", now: float | None = None) -> None:
        at = time.time() if now is None else now
        key = (pod, reason, message, kind)
        with self._lock:
            event = self._items.pop(key, None)
            if event is None:
                self._serial += 1
                event = {
                    "metadata": {
                        "name": f"{pod}.{self._serial:x}",
                        "namespace": NAMESPACE,
                        "creationTimestamp": _timestamp(at),
                    },
                    "involvedObject": {"kind": "Pod", "name": pod, "namespace": NAMESPACE},
                    "reason": reason,
                    "message": message,
                    "type": kind,
                    "count": 0,
                    "firstTimestamp": _timestamp(at),
                    "source": {"component": "kubelet", "host": NODE},
                }
            event["count"] += 1
            event["lastTimestamp"] = _timestamp(at)
            event["eventTime"] = _timestamp(at, micro=True)
            self._items[key] = event
            while len(self._items) > self.limit:
                self._items.popitem(last=False)

    def items(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._items.values()]


def _node() -> dict[str, Any]:
    return {
        "metadata": {"name": NODE, "labels": {"kubernetes.io/hostname": NODE}},
        "spec": {},
        "status": {
            "conditions": [
                {"type": t, "status": "False", "reason": f"Kubelet{r}"}
                for t, r in (
                    ("MemoryPressure", "HasSufficientMemory"),
                    ("DiskPressure", "HasNoDiskPressure"),
                    ("PIDPressure", "HasSufficientPID"),
                )
            ]
            + [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]
        },
    }


def _revisions(history: list[str]) -> dict[str, int]:
    """version → revision: a version rolled out again takes the newest revision, as its ReplicaSet does."""
    out: dict[str, int] = {}
    for index, version in enumerate(history, start=1):
        out.pop(version, None)
        out[version] = index
    return out


def _deployment(layout: LabLayout, service: str) -> dict[str, Any]:
    state = load_service_state(layout, service)
    revisions = _revisions([str(v) for v in state.get("history", [])] or [str(state["version"])])
    replicas = int(state.get("replicas", 1))
    return {
        "metadata": {
            "name": service,
            "namespace": NAMESPACE,
            "uid": f"deploy-{service}",
            "labels": {SERVICE_LABEL: service},
            "annotations": {"deployment.kubernetes.io/revision": str(max(revisions.values()))},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {SERVICE_LABEL: service}},
            "template": {
                "spec": {"containers": [{"name": service, "image": image_of(service, str(state["version"]))}]}
            },
        },
        "status": {"replicas": replicas},
    }


def _replicasets(layout: LabLayout, service: str) -> list[dict[str, Any]]:
    state = load_service_state(layout, service)
    current = str(state["version"])
    revisions = _revisions([str(v) for v in state.get("history", [])] or [current])
    return [
        {
            "metadata": {
                "name": f"{service}-{template_hash(service, version)}",
                "namespace": NAMESPACE,
                "labels": {SERVICE_LABEL: service, "pod-template-hash": template_hash(service, version)},
                "annotations": {"deployment.kubernetes.io/revision": str(revision)},
                "ownerReferences": [{"kind": "Deployment", "name": service, "uid": f"deploy-{service}"}],
            },
            "spec": {"template": {"spec": {"containers": [{"name": service, "image": image_of(service, version)}]}}},
            "status": {"replicas": int(state.get("replicas", 1)) if version == current else 0},
        }
        for version, revision in sorted(revisions.items(), key=lambda item: item[1])
    ]


def _listing(kind: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": f"{kind}List",
        "apiVersion": "apps/v1" if kind in ("Deployment", "ReplicaSet") else "v1",
        "metadata": {},
        "items": items,
    }


def _selected(items: list[dict[str, Any]], selector: str) -> list[dict[str, Any]]:
    wanted = dict(part.split("=", 1) for part in selector.split(",") if "=" in part)
    return [i for i in items if all(i["metadata"].get("labels", {}).get(k) == v for k, v in wanted.items())]


def kube_answer(
    layout: LabLayout,
    path: str,
    query: dict[str, list[str]],
    pods: Callable[[], list[dict[str, Any]]],
    events: EventRecorder,
) -> tuple[int, Any] | None:
    """The answer to ``GET path`` when it is one of the Kubernetes routes above, else None."""
    parts = path.strip("/").split("/")
    namespace = None
    if parts[:2] == ["api", "v1"]:
        rest = parts[2:]
    elif parts[:3] == ["apis", "apps", "v1"]:
        rest = parts[3:]
    else:
        return None
    if len(rest) >= 2 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    elsewhere = namespace is not None and namespace != NAMESPACE
    selector = (query.get("labelSelector") or [""])[-1]
    services = [s.name for s in SERVICES]
    if rest == ["pods"]:
        return 200, _listing("Pod", [] if elsewhere else _selected(pods(), selector))
    if rest == ["events"]:
        return 200, _listing("Event", [] if elsewhere else events.items())
    if rest == ["nodes"] and namespace is None:
        return 200, _listing("Node", [_node()])
    if rest == ["deployments"]:
        return 200, _listing(
            "Deployment", [] if elsewhere else _selected([_deployment(layout, s) for s in services], selector)
        )
    if len(rest) == 2 and rest[0] == "deployments" and not elsewhere and rest[1] in services:
        return 200, _deployment(layout, rest[1])
    if rest == ["replicasets"]:
        found = [] if elsewhere else [rs for s in services for rs in _replicasets(layout, s)]
        return 200, _listing("ReplicaSet", _selected(found, selector))
    return 404, {
        "kind": "Status",
        "status": "Failure",
        "reason": "NotFound",
        "code": 404,
        "message": f"the lab serves no {path}",
    }
