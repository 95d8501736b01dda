"""Rank services by how anomalous their metrics became at an incident's onset.

For every series: find the change point near the hinted onset (so an imprecise alert time does not
break it), then score the shift BARO-style — distance of the post-onset values from the pre-onset
median, in units of the pre-onset interquartile range — in the direction that is bad for that kind
of signal. Series scores aggregate to services; with a dependency graph, a service whose own
dependencies turned anomalous no later than it did is marked as propagating, so the upstream-most
anomalous service ranks first.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from tools.analysis.signals import DEPENDENCY_WEIGHT, classify, faces_dependency
from tools.sources.base import Series

__all__ = ["SeriesAnomaly", "ServiceAnomaly", "rank_services", "score_series", "shown_series", "ANOMALY_THRESHOLD"]

BREADTH = 5
"""A service's score sums log-scaled anomaly of its top series: a root cause usually moves several signals."""
ANOMALY_THRESHOLD = 4.0
"""A directed robust z-score above this is an anomaly worth naming."""
_Z_CAP = 200.0
SERIES_SHOWN = 14
"""How many of a service's series its record shows beyond the best one of each metric."""


@dataclass
class SeriesAnomaly:
    key: str
    service: str
    metric: str
    kind: str
    score: float
    direction: str
    onset: float
    before: float
    after: float
    change_pct: float
    recovering: bool = False
    """It moved, and has come at least halfway back to its old level by now."""

    def describe(self) -> str:
        arrow = "↑" if self.direction == "up" else "↓"
        return f"{self.metric} {arrow} {self.before:.4g} → {self.after:.4g} (z={self.score:.1f})"


@dataclass
class ServiceAnomaly:
    service: str
    score: float
    raw_score: float
    fault_score: float
    onset: float | None
    series: list[SeriesAnomaly] = field(default_factory=list)
    propagated_from: list[str] = field(default_factory=list)
    load_from: list[str] = field(default_factory=list)
    """Callers whose extra load explains this service's anomaly (it receives more requests than before)."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["series"] = [asdict(s) for s in shown_series(self.series)]
        return data


def shown_series(series: list[SeriesAnomaly]) -> list[SeriesAnomaly]:
    """A service's evidence as its record shows it, strongest first: the ``SERIES_SHOWN`` strongest series,
    and the strongest of every other metric each reporter has. A runbook check reads a metric's best
    series from this record; cutting a metric because others scored higher would turn a level check's
    plain reading (throttling at 100%, a pool at its limit) into no reading at all."""
    strongest = sorted(series, key=lambda a: a.score, reverse=True)
    chosen = {id(a) for a in strongest[:SERIES_SHOWN]}
    seen: set[tuple[str, str]] = set()
    for anomaly in strongest:
        if (anomaly.service, anomaly.metric) not in seen:
            seen.add((anomaly.service, anomaly.metric))
            chosen.add(id(anomaly))
    return [a for a in strongest if id(a) in chosen]


def _smooth(values: np.ndarray) -> np.ndarray:
    if len(values) < 3:
        return values
    padded = np.concatenate([values[:1], values, values[-1:]])
    stacked = np.vstack([padded[:-2], padded[1:-1], padded[2:]])
    return np.asarray(np.median(stacked, axis=0))


RELATIVE_FLOOR = 0.1
"""A shift smaller than 10% of a series' level is never a large anomaly, however quiet its history."""
ACCUMULATING_FLOOR = 0.03
"""Resources that accumulate (memory, disk, queues, restarts) drift slowly; 3% of their level already counts."""
_ACCUMULATING = frozenset({"memory", "disk", "queue", "restarts", "saturation", "capacity"})


def _scale(before: np.ndarray, floor: float = RELATIVE_FLOOR, absolute: float = 1e-9) -> float:
    q75, q25 = np.percentile(before, [75, 25])
    return max(float(q75 - q25) / 1.349, floor * abs(float(np.median(before))), absolute)


def absolute_floor(metric: str) -> float:
    """The smallest change that can matter for a metric near zero: half a percent of a ratio, 2 ms of
    latency, one queued message, a megabyte — so 0 → 0.04 of a quiet pool is not a 200-sigma event."""
    name = metric.lower()
    if name.endswith("_ratio") or name.endswith("ratio"):
        return 0.005
    if "seconds" in name or name.endswith("_s"):
        return 0.002
    if any(word in name for word in ("queue", "depth", "backlog", "messages")):
        return 1.0
    if "restart" in name:
        return 0.5
    if "bytes" in name:
        return 1e6
    return 1e-9


def _drift(times: np.ndarray, values: np.ndarray, floor: float,
           absolute: float = 1e-9) -> tuple[float, float, float, float] | None:
    """A slow burn: the end of the window against its start, when the series trends steadily.
    Returns (signed z, onset, start level, end level) or None."""
    n = len(values)
    if n < 20:
        return None
    head, tail = values[: max(n // 4, 3)], values[-max(n // 10, 3):]
    ranks = np.argsort(np.argsort(values))
    trend = float(np.corrcoef(np.arange(n), ranks)[0, 1])
    if not np.isfinite(trend) or abs(trend) < 0.6:
        return None
    start, end = float(np.median(head)), float(np.median(tail))
    return (end - start) / _scale(head, floor, absolute), float(times[len(head)]), start, end


def _find_onset(times: np.ndarray, values: np.ndarray, hint: float, lookback: float, lookahead: float) -> int:
    """Index of the change point within [hint - lookback, hint + lookahead]: the split that minimises the
    total absolute deviation of the two segments from their medians (an L1 change point)."""
    n = len(values)
    lo = max(int(np.searchsorted(times, hint - lookback)), min(4, max(n // 3, 2)))
    hi = min(int(np.searchsorted(times, hint + lookahead)), n - 2)
    if hi <= lo:
        return min(max(int(np.searchsorted(times, hint)), 1), n - 1)
    splits = np.arange(lo, hi + 1)
    cost = _segment_cost(values, splits) + _segment_cost(values[::-1], n - splits)
    return int(splits[int(np.flatnonzero(cost <= cost.min() + 1e-12)[0])])


def _segment_cost(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """For each length k: the total absolute deviation of ``values[:k]`` from its median (vectorised)."""
    inside = np.arange(len(values))[None, :] < lengths[:, None]
    rows = np.where(inside, values[None, :], np.nan)
    ordered = np.sort(rows, axis=1)  # NaNs last
    picks = np.arange(len(lengths))
    median = (ordered[picks, (lengths - 1) // 2] + ordered[picks, lengths // 2]) / 2.0
    return np.asarray(np.where(inside, np.abs(rows - median[:, None]), 0.0).sum(axis=1))


def _precedent_factor(before: np.ndarray, med: float, scale: float, direction: str, peak_z: float) -> float:
    """Shifts the history already showed (a flapping threshold, a noisy series) are not news."""
    if len(before) < 10:
        return 1.0
    history = (_smooth(before) - med) / scale
    seen = float(np.max(history)) if direction == "up" else float(-np.min(history))
    if seen <= 0 or peak_z > 1.5 * seen:
        return 1.0
    return 0.3


def _standing(directed: np.ndarray, counting: bool) -> float | None:
    """Where an anomalous shift stands now (the median of its latest three readings), or None when it
    cannot have come back: too short, never anomalous, or a count that never went down (restarts so far),
    whose rise in its latest sample has only begun."""
    if counting or len(directed) < 6 or float(np.max(directed)) < ANOMALY_THRESHOLD:
        return None
    return float(np.median(directed[-3:]))


def _persistence_factor(z: np.ndarray, direction: str, counting: bool) -> float:
    """A blip that has already recovered by now matters less than a shift that is still there."""
    now = _standing(z if direction == "up" else -z, counting)
    return 0.4 if now is not None and now < ANOMALY_THRESHOLD / 2 else 1.0


def _recovering(z: np.ndarray, direction: str, counting: bool) -> bool:
    directed = z if direction == "up" else -z
    now = _standing(directed, counting)
    return now is not None and now <= 0.5 * float(np.max(directed))


def score_series(series: Series, onset_hint: float, lookback: float = 1200.0, lookahead: float = 120.0) -> SeriesAnomaly | None:
    """The directed robust shift of one series at its change point near ``onset_hint``."""
    finite = np.isfinite(series.values)
    times, values = series.times[finite], series.values[finite]
    if len(values) < 6:
        return None
    kind = classify(series.name)
    floor = ACCUMULATING_FLOOR if kind.kind in _ACCUMULATING else RELATIVE_FLOOR
    k = _find_onset(times, values, onset_hint, lookback, lookahead)
    before, after = values[:k], _smooth(values[k:])
    if len(before) < 3 or len(after) < 1:
        return None
    counting = bool(np.all(np.diff(values) >= 0))  # never went down: a count of events so far
    med, scale = float(np.median(before)), _scale(before, floor, absolute_floor(series.name))
    z = (after - med) / scale
    up, down = float(np.max(z)), float(-np.min(z))
    drift = _drift(times, values, floor, absolute_floor(series.name))
    if drift is not None and max(drift[0], -drift[0]) > 1.5 * max(up, down):
        up, down = max(drift[0], 0.0), max(-drift[0], 0.0)
        med, after = drift[2], np.array([drift[3]])
        if float(np.max(np.abs(z))) < ANOMALY_THRESHOLD:
            k = int(np.searchsorted(times, drift[1]))  # a slow burn with no step: its onset is the trend's start
    if kind.bad == "up":
        score, direction = max(up, 0.0), "up"
    elif kind.bad == "down":
        score, direction = max(down, 0.0), "down"
    else:
        score, direction = (up, "up") if up >= down else (down, "down")
    score = min(score, _Z_CAP) * kind.weight * (DEPENDENCY_WEIGHT if faces_dependency(series.name) else 1.0)
    score *= _precedent_factor(before, med, scale, direction, max(up, down)) * _persistence_factor(z, direction, counting)
    peak = float(np.max(after)) if direction == "up" else float(np.min(after))
    settled = float(np.median(after[len(after) // 2:]))  # the level it settled at, past the transition
    shown = settled if abs(settled - med) >= 0.5 * abs(peak - med) else peak
    change = (shown - med) / abs(med) * 100.0 if abs(med) > 1e-12 else float("inf") if shown != med else 0.0
    return SeriesAnomaly(key=series.key(), service=series.service, metric=series.name, kind=kind.kind,
                         score=round(float(score), 2), direction=direction, onset=float(times[k]),
                         before=med, after=shown, change_pct=round(change, 1) if np.isfinite(change) else 1e9,
                         recovering=_recovering(z, direction, counting))


def _attribute(series: Series) -> str:
    """The service a series speaks for: calls to an upstream speak for that upstream when it has no telemetry."""
    return series.labels.get("service", "") or series.labels.get("job", "") or "unknown"


def _dependencies(service: str, topology: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(topology.get(service, []))
    while stack:
        dep = stack.pop()
        if dep not in seen and dep != service:
            seen.add(dep)
            stack.extend(topology.get(dep, []))
    return seen


def rank_services(series: list[Series], onset_hint: float, topology: dict[str, list[str]] | None = None,
                  lookback: float = 1200.0) -> list[ServiceAnomaly]:
    """Services ranked most-likely-root-cause first, each with its anomalous series as evidence."""
    per_service: dict[str, list[SeriesAnomaly]] = {}
    client_side: dict[str, dict[str, SeriesAnomaly]] = {}
    with_telemetry = {_attribute(s) for s in series}
    for item in series:
        scored = score_series(item, onset_hint, lookback=lookback)
        if scored is None:
            continue
        scored.service = _attribute(item)
        upstream = item.labels.get("upstream") or item.labels.get("dependency")
        if upstream and upstream not in with_telemetry:
            per_service.setdefault(upstream, []).append(scored)
        if upstream and faces_dependency(item.name):
            calls = client_side.setdefault(scored.service, {})
            if upstream not in calls or scored.score > calls[upstream].score:
                calls[upstream] = scored
        per_service.setdefault(scored.service, []).append(scored)
    for upstream, seen in _singled_out(client_side, per_service).items():
        if upstream in with_telemetry:
            per_service[upstream].extend(seen)
    ranked = []
    for service, items in per_service.items():
        items.sort(key=lambda a: a.score, reverse=True)
        breadth = sum(math.log1p(a.score) for a in items[:BREADTH])
        fault = max((a.score for a in items if a.kind not in ("traffic", "io", "capacity", "other")), default=0.0)
        strong = [a.onset for a in items if a.score >= ANOMALY_THRESHOLD]
        ranked.append(ServiceAnomaly(service=service, score=round(breadth, 3), raw_score=items[0].score,
                                     fault_score=fault, onset=min(strong) if strong else None, series=items))
    _explain_propagation(ranked, topology or {})
    ranked.sort(key=lambda s: s.score, reverse=True)
    return ranked


def _fault(anomaly: SeriesAnomaly) -> bool:
    return anomaly.kind not in ("traffic", "io", "capacity", "other") and anomaly.score >= ANOMALY_THRESHOLD


def _worse_calls(calls: dict[str, SeriesAnomaly]) -> dict[str, SeriesAnomaly]:
    """The upstreams a caller's calls got worse to, unless most of its calls got worse together."""
    worse = {u: a for u, a in calls.items() if a.score >= ANOMALY_THRESHOLD * DEPENDENCY_WEIGHT}
    if not worse or (len(calls) > 1 and len(worse) > len(calls) / 2):
        return {}
    return worse


def _singled_out(client_side: dict[str, dict[str, SeriesAnomaly]],
                 per_service: dict[str, list[SeriesAnomaly]]) -> dict[str, list[SeriesAnomaly]]:
    """Client-side anomalies that speak for the upstream they measure, keyed by that upstream.

    A caller whose calls to one upstream got worse while its calls to the others did not is looking at
    that upstream, not at itself (all calls slowing together is the caller's own trouble). It counts for
    the upstream only when corroborated: another caller singles it out too, or the upstream shows a fault
    of its own (a server that looks healthy while its clients wait may be dropping packets, not slow).
    """
    votes: dict[str, list[SeriesAnomaly]] = {}
    for calls in client_side.values():
        for upstream, anomaly in _worse_calls(calls).items():
            votes.setdefault(upstream, []).append(anomaly)
    out: dict[str, list[SeriesAnomaly]] = {}
    for upstream, seen in votes.items():
        if _worse_calls(client_side.get(upstream, {})):
            continue  # the upstream is itself waiting on one of its own upstreams: the chain goes on
        own_fault = any(_fault(a) for a in per_service.get(upstream, []))
        if len(seen) >= 2 or own_fault:
            out[upstream] = [replace(a, score=round(min(a.score / DEPENDENCY_WEIGHT, _Z_CAP), 2)) for a in seen]
    return out


def _callers(topology: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for caller, deps in topology.items():
        for dep in deps:
            out.setdefault(dep, []).append(caller)
    return out


def _load_rose(service: ServiceAnomaly) -> bool:
    return any(a.kind == "traffic" and a.direction == "up" and a.score >= ANOMALY_THRESHOLD * 0.5 for a in service.series)


def _became_active(service: ServiceAnomaly) -> bool:
    """Idle before the onset, busy after: a job or a new client that started (its requests or CPU from ~0)."""
    return any(a.kind in ("traffic", "cpu") and a.direction == "up" and a.score >= ANOMALY_THRESHOLD * 0.5
               and abs(a.before) <= 1e-3 * abs(a.after) for a in service.series)


def _load_sources(service: ServiceAnomaly, callers: list[ServiceAnomaly]) -> list[str]:
    """The callers whose load explains ``service``'s anomaly: those that sent more requests (or, with none
    of those, the faulty ones, e.g. retrying), or a caller that started from idle no later than ``service``
    turned anomalous — a batch job's heavy queries load a database without raising its request rate."""
    if _load_rose(service):
        rising = [c for c in callers if _load_rose(c) or _became_active(c)]
        return sorted(c.service for c in rising or [c for c in callers if c.fault_score >= ANOMALY_THRESHOLD])
    if service.onset is None:
        return []
    return sorted(c.service for c in callers
                  if _became_active(c) and c.onset is not None and c.onset <= service.onset + 90)


def _fault_onset(service: ServiceAnomaly) -> float | None:
    """When the service's trouble started: the earliest of its strong signals (a weak early wobble, say a
    small memory step after an unrelated deploy, does not date it)."""
    strong = [a for a in service.series if a.score >= max(ANOMALY_THRESHOLD, 0.2 * service.fault_score)]
    return min((a.onset for a in strong), default=service.onset)


def _load_behind(service: str, by_name: dict[str, ServiceAnomaly], topology: dict[str, list[str]]) -> set[str]:
    """The callers whose extra load reaches ``service`` through one of its loaded dependencies."""
    out: set[str] = set()
    for dep in _dependencies(service, topology):
        other = by_name.get(dep)
        if other is not None:
            out.update(other.load_from)
    return out


def _explain_propagation(ranked: list[ServiceAnomaly], topology: dict[str, list[str]]) -> None:
    """Discount services whose anomaly others explain: their own (transitive) dependencies turned anomalous
    no later than they did, or callers sent them more load than before (then whoever else depends on
    them is explained by that load too)."""
    if not topology:
        return
    by_name = {s.service: s for s in ranked}
    callers = _callers(topology)
    for service in ranked:
        if service.fault_score >= ANOMALY_THRESHOLD:
            service.load_from = _load_sources(service, [by_name[c] for c in callers.get(service.service, [])
                                                        if c in by_name])
    via_load = {s.service: _load_behind(s.service, by_name, topology) for s in ranked}
    for service in ranked:
        onset = _fault_onset(service)
        if service.fault_score < ANOMALY_THRESHOLD or onset is None:
            continue
        culprits: set[str] = set()
        for dep in _dependencies(service.service, topology):
            other = by_name.get(dep)
            if other is None or other.onset is None or other.fault_score < ANOMALY_THRESHOLD:
                continue
            if other.load_from:
                culprits.update(source for source in other.load_from if source != service.service
                                and (by_name[source].onset or math.inf) <= onset + 90)
            elif (other.onset <= onset + 90 and service.service not in via_load[dep]
                  and other.fault_score >= min(0.25 * service.fault_score, 3 * ANOMALY_THRESHOLD)):
                culprits.add(dep)
        if culprits:
            service.propagated_from = sorted(culprits)
    for service in ranked:
        if service.propagated_from or service.load_from:
            service.score = round(service.score * 0.35, 3)
