"""Rank services by how anomalous their metrics became at an incident's onset.

For every series: find the change point near the hinted onset (so an imprecise alert time does not
break it), then score the shift BARO-style — distance of the post-onset values from the pre-onset
median, in units of the pre-onset interquartile range — in the direction that is bad for that kind
of signal. Series scores aggregate to services; with a dependency graph, a service whose own
dependencies turned anomalous no later than it did is marked as propagating, so the upstream-most
anomalous service ranks first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from tools.analysis.signals import classify
from tools.sources.base import Series

__all__ = ["SeriesAnomaly", "ServiceAnomaly", "rank_services", "score_series", "ANOMALY_THRESHOLD"]

ANOMALY_THRESHOLD = 4.0
"""A directed robust z-score above this is an anomaly worth naming."""
_Z_CAP = 200.0


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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["series"] = [asdict(s) for s in self.series[:14]]
        return data


def _smooth(values: np.ndarray) -> np.ndarray:
    if len(values) < 3:
        return values
    padded = np.concatenate([values[:1], values, values[-1:]])
    stacked = np.vstack([padded[:-2], padded[1:-1], padded[2:]])
    return np.asarray(np.median(stacked, axis=0))


def _scale(before: np.ndarray) -> float:
    q75, q25 = np.percentile(before, [75, 25])
    med = float(np.median(before))
    return max(float(q75 - q25) / 1.349, 0.02 * abs(med), float(np.std(before)) * 0.5, 1e-9)


def _find_onset(times: np.ndarray, values: np.ndarray, hint: float, lookback: float, lookahead: float) -> int:
    """Index of the most pronounced level shift within [hint - lookback, hint + lookahead]."""
    n = len(values)
    lo = max(int(np.searchsorted(times, hint - lookback)), 4)
    hi = min(int(np.searchsorted(times, hint + lookahead)), n - 2)
    if hi <= lo:
        return min(max(int(np.searchsorted(times, hint)), 1), n - 1)
    best, best_index = -1.0, lo
    for k in range(lo, hi + 1):
        before, after = values[:k], values[k:k + 8]
        shift = abs(float(np.median(after)) - float(np.median(before))) / _scale(before)
        if shift > best + 1e-9:
            best, best_index = shift, k
    return best_index


def score_series(series: Series, onset_hint: float, lookback: float = 1200.0, lookahead: float = 120.0) -> SeriesAnomaly | None:
    """The directed robust shift of one series at its change point near ``onset_hint``."""
    finite = np.isfinite(series.values)
    times, values = series.times[finite], series.values[finite]
    if len(values) < 8:
        return None
    kind = classify(series.name)
    k = _find_onset(times, values, onset_hint, lookback, lookahead)
    before, after = values[:k], _smooth(values[k:])
    if len(before) < 3 or len(after) < 1:
        return None
    med, scale = float(np.median(before)), _scale(before)
    z = (after - med) / scale
    up, down = float(np.max(z)), float(-np.min(z))
    if kind.bad == "up":
        score, direction = max(up, 0.0), "up"
    elif kind.bad == "down":
        score, direction = max(down, 0.0), "down"
    else:
        score, direction = (up, "up") if up >= down else (down, "down")
    score = min(score, _Z_CAP) * kind.weight
    peak = float(np.max(after)) if direction == "up" else float(np.min(after))
    settled = float(np.median(after))
    shown = settled if abs(settled - med) >= 0.5 * abs(peak - med) else peak
    change = (shown - med) / abs(med) * 100.0 if abs(med) > 1e-12 else float("inf") if shown != med else 0.0
    return SeriesAnomaly(key=series.key(), service=series.service, metric=series.name, kind=kind.kind,
                         score=round(float(score), 2), direction=direction, onset=float(times[k]),
                         before=med, after=shown, change_pct=round(change, 1) if np.isfinite(change) else 1e9)


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
    for item in series:
        scored = score_series(item, onset_hint, lookback=lookback)
        if scored is None:
            continue
        scored.service = _attribute(item)
        upstream = item.labels.get("upstream") or item.labels.get("dependency")
        if upstream and upstream not in {s.service for s in series}:
            per_service.setdefault(upstream, []).append(scored)
        per_service.setdefault(scored.service, []).append(scored)
    ranked = []
    for service, items in per_service.items():
        items.sort(key=lambda a: a.score, reverse=True)
        top = items[0].score
        second = items[1].score if len(items) > 1 else 0.0
        fault = max((a.score for a in items if a.kind not in ("traffic", "io", "capacity", "other")), default=0.0)
        strong = [a.onset for a in items if a.score >= ANOMALY_THRESHOLD]
        ranked.append(ServiceAnomaly(service=service, score=top + 0.15 * second, raw_score=top + 0.15 * second,
                                     fault_score=fault, onset=min(strong) if strong else None, series=items))
    _explain_propagation(ranked, topology or {})
    ranked.sort(key=lambda s: s.score, reverse=True)
    return ranked


def _explain_propagation(ranked: list[ServiceAnomaly], topology: dict[str, list[str]]) -> None:
    """Discount services whose anomaly their own (transitive) dependencies explain."""
    if not topology:
        return
    by_name = {s.service: s for s in ranked}
    for service in ranked:
        if service.fault_score < ANOMALY_THRESHOLD or service.onset is None:
            continue
        culprits = []
        for dep in _dependencies(service.service, topology):
            other = by_name.get(dep)
            if other is None or other.onset is None or other.fault_score < ANOMALY_THRESHOLD:
                continue
            if other.onset <= service.onset + 90 and other.fault_score >= 0.25 * service.fault_score:
                culprits.append(dep)
        if culprits:
            service.propagated_from = sorted(culprits)
            service.score = service.raw_score * 0.35
