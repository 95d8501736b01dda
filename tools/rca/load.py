"""Load and propagation between services: which callers' extra load explains a service's trouble, and which
services only propagate what their dependencies turned anomalous with first (recorded on the ranked
records by :func:`record_propagation`; the explanation step decides, with the logs and Kubernetes state,
who is a victim). The topology helpers (``dependencies``, ``callers``) read the call graph."""

from __future__ import annotations

import math
import re

from tools.rca.params import Params
from tools.rca.records import ServiceRecord, Shift
from tools.rca.vocabulary import FAULT_KINDS, classify

OPENS = re.compile(r"connections?_(opened|created|new|established)|new_connections|handshakes?(_rate|_total|$)|dials?_")
"""Connection set-ups toward a dependency (each costs the server a handshake), told apart from connections held."""

__all__ = [
    "dependencies",
    "callers",
    "became_active",
    "amplifies",
    "serves_less",
    "strain_came_later",
    "fault_onset",
    "record_propagation",
]


def dependencies(service: str, topology: dict[str, list[str]]) -> set[str]:
    """Everything ``service`` calls, directly or through others."""
    seen: set[str] = set()
    stack = list(topology.get(service, []))
    while stack:
        dep = stack.pop()
        if dep not in seen and dep != service:
            seen.add(dep)
            stack.extend(topology.get(dep, []))
    return seen


def callers(topology: dict[str, list[str]]) -> dict[str, list[str]]:
    """service -> the services that call it directly."""
    out: dict[str, list[str]] = {}
    for caller, deps in topology.items():
        for dep in deps:
            out.setdefault(dep, []).append(caller)
    return out


def _load_rose(service: ServiceRecord, params: Params) -> bool:
    return any(
        a.kind == "traffic" and a.direction == "up" and a.score >= params.anomaly_threshold * params.load_rise_share
        for a in service.series
    )


def became_active(service: ServiceRecord, params: Params) -> bool:
    """Idle before the onset, busy after: a job or a new client that started (its requests or CPU from ~0).
    Only work counts: the share of CPU periods throttled rises from 0 in any starved service."""
    return any(
        (a.kind == "traffic" or (a.signal or classify(a.metric).name) == "cpu_usage_ratio")
        and a.direction == "up"
        and a.score >= params.anomaly_threshold * params.load_rise_share
        and abs(a.before) <= params.idle_ratio * abs(a.after)
        for a in service.series
    )


def _load_sources(service: ServiceRecord, calling: list[ServiceRecord], params: Params) -> list[str]:
    """The callers whose load explains ``service``'s anomaly: those that sent more requests (or, with none
    of those, the faulty ones, e.g. retrying); for a service that counts no requests of its own (a
    database), callers whose own traffic rose first; or a caller that started from idle no later than
    ``service`` turned anomalous — a batch job's heavy queries load a database without raising its request
    rate."""
    if _load_rose(service, params):
        if strain_came_later(service, params) or serves_less(service, params):
            return []
        rising = [c for c in calling if _load_rose(c, params) or became_active(c, params)]
        return sorted(c.service for c in rising or [c for c in calling if c.fault_score >= params.anomaly_threshold])
    if service.onset is None:
        return []
    own = [a for a in service.series if a.service == service.service]  # not callers' views of it
    if own and not any(a.kind == "traffic" for a in own):  # telemetry, but no request count (a database):
        # callers whose own traffic rose by the time it turned anomalous are sending it that load
        rising = [
            c
            for c in calling
            if _load_rose(c, params) and c.onset is not None and c.onset <= service.onset + params.propagation_slack_s
        ]
        if rising:
            return sorted(c.service for c in rising)
    return sorted(
        c.service
        for c in calling
        if became_active(c, params) and c.onset is not None and c.onset <= service.onset + params.propagation_slack_s
    )


def amplifies(caller: ServiceRecord, service: str, params: Params) -> bool:
    """The caller's calls to ``service``, or the connections it opens to it, multiplied while the traffic it
    serves did not rise: the extra load is of its own making (retries, a wider fan-out, connections no longer
    reused), not passed on from its own callers."""

    def rose(a: Shift, opens: bool = False) -> bool:
        return (
            (a.kind == "traffic" or (opens and bool(OPENS.search(a.metric))))
            and a.direction == "up"
            and a.score >= params.anomaly_threshold * params.load_rise_share
        )

    calls = [a for a in caller.series if a.service == caller.service and a.labels.get("upstream") == service]
    served = [
        a
        for a in caller.series
        if a.service == caller.service
        and a.kind == "traffic"
        and not a.labels.get("upstream")
        and not classify(a.metric).dependency
    ]
    return any(rose(a, opens=True) for a in calls) and bool(served) and not any(rose(a) for a in served)


def serves_less(service: ServiceRecord, params: Params) -> bool:
    """Under more requests it answers far fewer of them well than before (requests × (1 − error ratio) fell
    below ``served_drop_share`` of what it was): its capacity fell on its own; load would have left it
    serving at least what it served."""
    own = [
        a
        for a in service.series
        if a.service == service.service and not a.labels.get("upstream") and not classify(a.metric).dependency
    ]
    load = [a for a in own if a.kind == "traffic" and "request" in a.metric and a.direction == "up"]
    failing = [
        a
        for a in own
        if a.kind == "errors"
        and "ratio" in a.metric
        and a.direction == "up"
        and 0.0 <= a.before <= 1.0
        and 0.0 <= a.after <= 1.0
    ]
    if not load or not failing:
        return False
    requests, errors = max(load, key=lambda a: a.score), max(failing, key=lambda a: a.after)
    return requests.after * (1 - errors.after) < params.served_drop_share * requests.before * (1 - errors.before)


def strain_came_later(service: ServiceRecord, params: Params) -> bool:
    """Its trouble began well after its load rose: a service overloaded by more requests strains at once
    (a queue, a lag or a pool starts growing with the load), so what began later has a cause of its own."""
    rises = [
        a.onset
        for a in service.series
        if a.service == service.service
        and a.kind == "traffic"
        and a.direction == "up"
        and a.score >= params.anomaly_threshold * params.load_rise_share
    ]
    strain = [
        a.onset
        for a in service.series
        if a.service == service.service and a.kind in FAULT_KINDS and a.score >= params.anomaly_threshold
    ]
    return bool(rises and strain) and min(strain) - min(rises) > params.load_strain_lag_s


def fault_onset(service: ServiceRecord, params: Params) -> float | None:
    """When the service's trouble started: the earliest of its strong signals (a weak early wobble, say a
    small memory step after an unrelated deploy, does not date it)."""
    strong = [
        a for a in service.series if a.score >= max(params.anomaly_threshold, params.strong_share * service.fault_score)
    ]
    return min((a.onset for a in strong), default=service.onset)


def _load_behind(service: str, by_name: dict[str, ServiceRecord], topology: dict[str, list[str]]) -> set[str]:
    out: set[str] = set()
    for dep in dependencies(service, topology):
        other = by_name.get(dep)
        if other is not None:
            out.update(other.load_from)
    return out


def record_propagation(ranked: list[ServiceRecord], topology: dict[str, list[str]], params: Params) -> None:
    """Record which services others explain: their own (transitive) dependencies turned anomalous no later
    than they did, or callers sent them more load than before (then whoever else depends on them is
    explained by that load too)."""
    if not topology:
        return
    by_name = {s.service: s for s in ranked}
    calling = callers(topology)
    threshold, slack = params.anomaly_threshold, params.propagation_slack_s
    for service in ranked:
        if service.fault_score >= threshold:
            service.load_from = _load_sources(
                service, [by_name[c] for c in calling.get(service.service, []) if c in by_name], params
            )
    via_load = {s.service: _load_behind(s.service, by_name, topology) for s in ranked}
    for service in ranked:
        onset = fault_onset(service, params)
        if service.fault_score < threshold or onset is None or became_active(service, params):
            continue  # (a job that started did so itself: no dependency of it made it start)
        culprits: set[str] = set()
        for dep in dependencies(service.service, topology):
            other = by_name.get(dep)
            if other is None or other.onset is None or other.fault_score < threshold:
                continue
            if other.load_from:
                culprits.update(
                    source
                    for source in other.load_from
                    if source != service.service and (by_name[source].onset or math.inf) <= onset + slack
                )
            elif (
                other.onset <= onset + slack
                and service.service not in via_load[dep]
                and other.fault_score
                >= min(params.corroborating_share * service.fault_score, params.corroborating_cap * threshold)
            ):
                culprits.add(dep)
        if culprits:
            service.propagated_from = sorted(culprits)
