"""Whether a service has room for more load: one that is drowning (failing, slowed many times over, or
at its CPU or pool limit) must not be sent more by scaling out the service whose load reaches it; one
that is only busier (more requests, some CPU, a little slower) can take it."""

from __future__ import annotations

from tools.rca.evidence import Evidence
from tools.rca.params import Params
from tools.rca.records import ServiceRecord, Shift

__all__ = ["at_capacity", "drowning", "hardest_hit_caller", "pinned_to_few_pods"]

_AT_LIMIT_KINDS = frozenset({"cpu", "saturation"})
"""Kinds whose ratio reads a limit: CPU over its limit, a pool or a thread pool in use over its size."""


def at_capacity(shift: Shift, params: Params) -> bool:
    """A usage ratio (a disk, a pool, CPU over its limit) at ``near_full_ratio`` or more."""
    return shift.metric.endswith("_ratio") and shift.after >= params.near_full_ratio


def drowning(record: ServiceRecord, params: Params) -> bool:
    """The service's own signals say it refuses or drowns in the load it gets."""
    for shift in record.series:
        if shift.direction != "up" or shift.score < params.anomaly_threshold:
            continue
        if shift.kind == "errors":
            return True
        if shift.kind == "latency" and shift.after >= params.drowning_slowdown * max(shift.before, 1e-9):
            return True
        if shift.kind in _AT_LIMIT_KINDS and at_capacity(shift, params):
            return True
    return False


def hardest_hit_caller(service: str, evidence: Evidence) -> str | None:
    """The caller that suffers most from ``service``: the one whose series labelled ``upstream=service``
    moved most (an external dependency is seen only there), else its most anomalous caller in the call
    graph. Where a fallback for a failing dependency is switched on."""
    labelled: dict[str, float] = {}
    for name, record in evidence.services.items():
        for shift in record.series:
            if name != service and shift.labels.get("upstream") == service:
                labelled[name] = max(labelled.get(name, 0.0), shift.score)
    if labelled:
        return max(sorted(labelled), key=lambda name: labelled[name])
    calling = sorted(c for c, deps in evidence.topology.items() if service in deps and c in evidence.services)
    return max(calling, key=lambda c: evidence.services[c].score, default=None)


_LOAD_KINDS = frozenset({"cpu", "traffic", "saturation", "queue", "latency"})
"""Kinds whose per-pod rise says where the work lands."""


def pinned_to_few_pods(service: str, evidence: Evidence, params: Params) -> bool:
    """The service's work piled onto a few of its pods while the rest stay calm (a hot key, a hot
    partition): more replicas would share none of it."""
    record = evidence.services.get(service)
    if record is None:
        return False
    pods = {p.name for p in evidence.pods.get(service, [])}
    pods |= {s.labels["pod"] for s in record.series if s.labels.get("pod")}
    hot = {
        s.labels["pod"]
        for s in record.series
        if s.labels.get("pod") and s.kind in _LOAD_KINDS and s.direction == "up" and s.score >= params.anomaly_threshold
    }
    return len(pods) >= params.skew_min_pods and 0 < len(hot) <= params.skew_share * len(pods)
