"""Rank services by how anomalous they became at the onset, and record who may explain whom.

Series shifts add up to services (their strongest few, log-scaled). Client-side metrics speak for the
dependency they measure when a caller singles it out. With a dependency graph, a service whose own
dependencies turned anomalous no later than it did is recorded as propagating from them, and a service
whose callers sent it more load than before as loaded by them. These relations are recorded, not acted
on: the explanation step (``explain``) decides, with the logs and Kubernetes state, who is a victim.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

from tools.rca.load import amplifies, record_propagation
from tools.rca.nesting import credit_parts
from tools.rca.params import Params
from tools.rca.records import ServiceRecord, Shift
from tools.rca.series import on_calls, score_series, screen
from tools.rca.vocabulary import FAULT_KINDS, classify
from tools.sources.base import Series

__all__ = [
    "rank_services",
    "rescore",
    "shown_series",
    "worst_level",
    "display_order",
    "waits_on_calls",
    "OWN_CREDENTIAL",
]


def shown_series(series: list[Shift], params: Params | None = None) -> list[Shift]:
    """A service's evidence as its record shows it, strongest first: the strongest series, and the
    strongest of every other metric each reporter has (a runbook check reads a metric's best series from
    this record; cutting a metric because others scored higher would lose a level check's reading)."""
    limit = (params or Params()).series_shown
    strongest = sorted(series, key=lambda a: a.score, reverse=True)
    chosen = {id(a) for a in strongest[:limit]}
    seen: set[tuple[str, str]] = set()
    for shift in strongest:
        if (shift.service, shift.metric) not in seen:
            seen.add((shift.service, shift.metric))
            chosen.add(id(shift))
    for key in seen:  # and its worst level: one node's clock an hour off since last week moves no z-score
        chosen.add(id(worst_level([a for a in series if (a.service, a.metric) == key])))
    return [a for a in strongest if id(a) in chosen]


def worst_level(series: list[Shift]) -> Shift:
    """The series of one metric at the worst level now, by the direction its signal calls bad (an offset's
    size either way)."""
    bad = classify(series[0].metric).bad
    return max(series, key=lambda a: a.after if bad == "up" else -a.after if bad == "down" else abs(a.after))


OWN_CREDENTIAL = re.compile(r"(?i)client_?cert")
"""A caller's own credential towards a dependency (the client certificate it presents): labelled with the
dependency it is for, but the caller's to renew, not the dependency's."""


def _attribute(series: Series) -> str:
    return series.labels.get("service", "") or series.labels.get("job", "") or "unknown"


def _is_fault(shift: Shift, params: Params) -> bool:
    return shift.kind in FAULT_KINDS and shift.score >= params.anomaly_threshold


def _worse_calls(calls: dict[str, Shift], params: Params) -> dict[str, Shift]:
    """The upstreams a caller's calls got worse to, unless most of its calls got worse together. A caller
    measured calling one upstream only singles nothing out: its one call is all its calls."""
    worse = {u: a for u, a in calls.items() if a.score >= params.anomaly_threshold * params.dependency_weight}
    if not worse or len(calls) < 2 or len(worse) > len(calls) / 2:
        return {}
    return worse


def _singled_out(
    client_side: dict[str, dict[str, Shift]], per_service: dict[str, list[Shift]], params: Params
) -> dict[str, list[Shift]]:
    """Client-side shifts that speak for the upstream they measure, keyed by that upstream.

    A caller whose calls to one upstream got worse while its calls to the others did not is looking at
    that upstream, not at itself (all calls slowing together is the caller's own trouble). It counts for
    the upstream only when corroborated: another caller singles it out too, or the upstream shows a fault
    of its own (a server that looks healthy while its clients wait may be dropping packets, not slow).
    """
    votes: dict[str, list[Shift]] = {}
    for calls in client_side.values():
        for upstream, shift in _worse_calls(calls, params).items():
            votes.setdefault(upstream, []).append(shift)
    out: dict[str, list[Shift]] = {}
    for upstream, seen in votes.items():
        if _worse_calls(client_side.get(upstream, {}), params):
            continue  # the upstream is itself waiting on one of its own upstreams: the chain goes on
        own_fault = any(_is_fault(a, params) for a in per_service.get(upstream, []))
        if len(seen) >= 2 or own_fault:
            out[upstream] = [
                replace(a, score=round(min(a.score / params.dependency_weight, params.z_cap), 2)) for a in seen
            ]
    return out


_POD_NAME = re.compile(r"^(?P<workload>[a-z0-9][a-z0-9-]*?)-(?:[a-z0-9]{6,10}-[a-z0-9]{5}|[a-z0-9]{5}|\d+)$")
"""A Kubernetes pod's name: its workload's, then a ReplicaSet hash and a suffix (or a StatefulSet ordinal)."""
_PLACE_LABELS = frozenset(
    {"__name__", "service", "job", "pod", "node", "instance", "container", "namespace", "upstream", "dependency"}
)


def _moved_and_calm(shifts: list[Shift], params: Params) -> tuple[list[int], list[int]]:
    """Indices of the sibling series that moved (an anomaly) and of those that stayed calm (under half of one)."""
    moved = [i for i, a in enumerate(shifts) if a.score >= params.anomaly_threshold]
    calm = [i for i, a in enumerate(shifts) if a.score < params.anomaly_threshold * params.moving_share]
    return moved, calm


def _one_pod_named(
    scored: list[tuple[Series, Shift | None]], known: set[str], params: Params
) -> dict[str, list[Shift]]:
    """Shifts a service reports about one pod of another (tokens rejected by the pod that issued them, calls
    failing to one replica): when that pod's series moved and its siblings' did not, the trouble is that
    pod's, and counts for its service. Keyed by the named service."""
    families: dict[tuple[str, str, str, str], list[Shift]] = {}
    for item, shift in scored:
        if shift is None:
            continue
        for label, value in item.labels.items():
            match = _POD_NAME.match(value) if label not in _PLACE_LABELS else None
            workload = match.group("workload") if match else None
            if workload and workload in known and workload != _attribute(item):
                families.setdefault((_attribute(item), item.name, label, workload), []).append(shift)
    out: dict[str, list[Shift]] = {}
    for (_, _, _, workload), seen in families.items():
        moved, calm = _moved_and_calm(seen, params)
        if moved and calm and 2 * len(moved) <= len(seen):  # one pod of several, not the whole service
            out.setdefault(workload, []).extend(seen[i] for i in moved)
    return out


def _path_local(scored: list[tuple[Series, Shift | None]], params: Params) -> set[int]:
    """Client-side shifts that one vantage of a caller sees and another does not: the same caller's calls to
    the same dependency, told apart by where they come from (a region, a zone, a pod), moved from one place
    only. The dependency answers the other places as before; the trouble is on that path, the caller's side.
    So too across callers: calls one caller makes failing while another caller's same calls to the same
    dependency go on as before. Returns the ids of those shifts."""
    views: dict[tuple[str, str, str], list[tuple[dict[str, str], Shift]]] = {}
    for item, shift in scored:
        upstream = item.labels.get("upstream") or item.labels.get("dependency")
        if shift is not None and upstream:
            place = {
                k: v
                for k, v in item.labels.items()
                if k not in ("__name__", "service", "job", "upstream", "dependency")
            }
            caller = _attribute(item)
            views.setdefault((caller, upstream, item.name), []).append((place, shift))
            if not place:  # (one caller's own view as a whole, beside another caller's)
                views.setdefault(("", upstream, item.name), []).append(({"caller": caller}, shift))
    out: set[int] = set()
    for seen in views.values():
        moved, calm = _moved_and_calm([shift for _, shift in seen], params)
        if moved and calm and all(seen[i][0] != seen[j][0] for i in moved for j in calm):
            out.update(id(seen[i][1]) for i in moved)
    return out


def rank_services(
    series: list[Series],
    onset_hint: float,
    topology: dict[str, list[str]] | None = None,
    params: Params | None = None,
    onset_known: bool = True,
) -> list[ServiceRecord]:
    """Services, most anomalous first (those others explain listed lower), each with its shifted series.
    With no onset known (a person's vague report) every series gets the change-point search: the quick
    screen takes the window's first quarter for the calm before, and a change hours back lies inside it."""
    params = params or Params()
    per_service: dict[str, list[Shift]] = {}
    client_side: dict[str, dict[str, Shift]] = {}
    with_telemetry = {_attribute(s) for s in series}
    short: set[str] = set()
    quiet = screen(series, onset_hint, params) if onset_known else {}
    scored_all = [
        (item, quiet.get(index) or score_series(item, onset_hint, params)) for index, item in enumerate(series)
    ]
    local = _path_local(scored_all, params)
    for item, scored in scored_all:
        if scored is None:
            continue
        scored.service = _attribute(item)
        if scored.short:
            short.add(scored.service)
        own = id(scored) in local or bool(OWN_CREDENTIAL.search(item.name))
        upstream = None if own else item.labels.get("upstream") or item.labels.get("dependency")
        if upstream and upstream not in with_telemetry:
            per_service.setdefault(upstream, []).append(scored)
        if upstream and on_calls(item):
            calls = client_side.setdefault(scored.service, {})
            if upstream not in calls or scored.score > calls[upstream].score:
                calls[upstream] = scored
        per_service.setdefault(scored.service, []).append(scored)
    for upstream, seen in _singled_out(client_side, per_service, params).items():
        if upstream in with_telemetry:
            per_service[upstream].extend(seen)
    for named, seen in _one_pod_named(scored_all, with_telemetry, params).items():
        per_service.setdefault(named, []).extend(seen)
    ranked = [
        ServiceRecord(service=service, series=items, insufficient=service in short)
        for service, items in per_service.items()
    ]
    for record in ranked:
        rescore(record, params)
        record.waiting = waits_on_calls(record, params)
    record_propagation(ranked, topology or {}, params)
    for part, score in credit_parts(ranked, params):
        rescore(part, params)
        part.score = score
    return display_order(ranked, params)


def rescore(record: ServiceRecord, params: Params) -> None:
    """Sort a record's shifts strongest first and sum them up: score, raw and fault score, onset."""
    items = record.series
    items.sort(key=lambda a: a.score, reverse=True)
    seen: set[str] = set()
    distinct = []  # one measure counted once: p90, p95 and p99 of one histogram, or its pods, are one signal
    for a in items:
        if (a.signal or a.metric) not in seen:
            seen.add(a.signal or a.metric)
            distinct.append(a)
    record.score = round(sum(math.log1p(a.score) for a in distinct[: params.breadth]), 3)
    record.raw_score = items[0].score if items else 0.0
    record.fault_score = max((a.score for a in items if a.kind in FAULT_KINDS), default=0.0)
    strong = [a.onset for a in items if a.score >= params.anomaly_threshold]
    record.onset = min(strong) if strong else None


OWN_RESOURCES = frozenset({"cpu", "memory", "saturation", "queue", "disk", "restarts", "clock"})
"""Kinds of trouble a service's own work shows; a service that only waits shows none of them."""


def waits_on_calls(record: ServiceRecord, params: Params) -> bool:
    """Its own latency rose at the onset together with the latency of its outgoing calls (client-side
    series, whether or not they name the upstream), and none of its own resources worsened: its time is
    spent waiting on a dependency, not working. (A starved caller's outgoing calls slow too, but then its
    CPU shows it; a caller that multiplied its calls waits on a dependency it overloads itself.)"""

    def strong(a: Shift) -> bool:
        return a.score >= params.anomaly_threshold and a.direction == classify(a.metric).bad

    own = [a for a in record.series if a.service == record.service and strong(a)]
    served = [a for a in own if a.kind == "latency" and not classify(a.metric).dependency]
    calls = [a for a in own if a.kind == "latency" and classify(a.metric).dependency]
    if not served or not calls or any(a.kind in OWN_RESOURCES for a in own):
        return False
    upstreams = {a.labels["upstream"] for a in record.series if a.labels.get("upstream")}
    if any(amplifies(record, upstream, params) for upstream in upstreams):
        return False
    return min(a.onset for a in calls) <= min(a.onset for a in served) + params.propagation_slack_s


def display_order(ranked: list[ServiceRecord], params: Params) -> list[ServiceRecord]:
    """Most anomalous first; a service others explain counts ``propagated_discount`` of its score here."""

    def weight(record: ServiceRecord) -> float:
        explained = record.propagated_from or record.load_from or record.waiting
        return record.score * (params.propagated_discount if explained else 1.0)

    return sorted(ranked, key=weight, reverse=True)
