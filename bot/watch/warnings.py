"""Early warnings from one ranking: the engine's anomalous shifts that are faults, in their bad direction, and
still there — a sustained shift over the series' own baseline (:func:`sustained`).

The engine says how far a series moved and when; this module adds what a watcher needs that an investigation
does not, since nobody has paged yet and a warning must be worth a human's attention:

- a **baseline** of at least ``min_baseline_points`` readings before the change point;
- a **spread** that is the largest of the engine's (the IQR, floored at a share of the level and at the unit's
  smallest change that matters; for a latency, at ``latency_relative_floor`` of its level), the baseline's own
  excursions in the bad direction (``tail_quantile``), and the series' **quantum** — the step of a series that moves
  in whole units (connections of a pool, messages
  of a queue): one unit is one spread;
- **persistence**: the latest readings, each beyond the threshold *and* beyond anything the baseline itself
  reached, at least ``min_persistence`` of them in a row, carrying the evidence of ``sustain_samples``
  readings at the threshold (each counted up to ``reading_evidence_cap`` thresholds, a one-sided CUSUM
  without drift: a large shift is sustained sooner than a marginal one);
- **materiality** for a resource measured against its capacity: a move of ``capacity_share_floor`` of it."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from bot.watch.params import WatchParams
from bot.watch.records import EarlyWarning
from bot.watch.resources import is_limit
from tools.rca.params import Params
from tools.rca.records import ServiceRecord, Shift
from tools.rca.series import headroom
from tools.rca.vocabulary import ACCUMULATING, FAULT_KINDS, classify
from tools.sources.base import Series

__all__ = ["early_warnings", "sustained", "quantum", "CAPACITY_KINDS"]

CAPACITY_KINDS = frozenset({"cpu", "saturation", "disk", "memory"})
"""Kinds whose ``…_ratio`` is a resource's use over its capacity (a ratio of another kind, errors over requests,
is not)."""
QUANTUM_TOLERANCE = 1e-6
"""A value within this share of a step from a whole number of steps is on the step (floating-point noise)."""


def quantum(values: np.ndarray) -> float:
    """The step of a series that moves in whole units — every value a whole multiple of the smallest gap between
    two of its values (a pool of five in use: 0, 0.2, 0.4…) — else 0 (a continuous series)."""
    distinct = np.unique(values[np.isfinite(values)])
    if distinct.size < 2:
        return 0.0
    step = float(np.min(np.diff(distinct)))
    if step <= 0:
        return 0.0
    units = distinct / step
    return (
        step
        if bool(np.all(np.abs(units - np.round(units)) <= QUANTUM_TOLERANCE * np.maximum(1.0, np.abs(units))))
        else 0.0
    )


def _spread(
    before: np.ndarray, metric: str, values: np.ndarray, direction: str, params: Params, watch: WatchParams
) -> float:
    """The spread a shift is measured in (see the module's words): the engine's, the baseline's excursions in the
    bad direction, and the series' quantum, whichever is largest."""
    signal = classify(metric)
    share = params.accumulating_floor if signal.kind in ACCUMULATING else params.relative_floor
    level = float(np.median(before))
    base, absolute = headroom(signal.kind, values, level, signal.floor, params)
    q75, q25 = np.percentile(before, [75, 25])
    engine = max(float(q75 - q25) / 1.349, share * abs(base), absolute)
    if signal.kind == "latency":
        engine = max(engine, watch.latency_relative_floor * abs(level))
    edge = np.percentile(before, 100.0 * (watch.tail_quantile if direction == "up" else 1.0 - watch.tail_quantile))
    sigmas = NormalDist().inv_cdf(watch.tail_quantile) if watch.tail_quantile > 0.5 else 0.0  # 1.28 at the 90th
    tail = abs(float(edge) - level) / sigmas if sigmas > 0 else 0.0
    return max(engine, tail, watch.quantum_spreads * quantum(values))


def _material(metric: str, before: float, level: float, watch: WatchParams) -> bool:
    """A resource's share of its capacity moved by at least ``capacity_share_floor`` of it (other signals: yes)."""
    name = metric.lower()
    if classify(metric).kind not in CAPACITY_KINDS or not name.endswith(("ratio", "percent", "pct")):
        return True
    capacity = 1.0 if name.endswith("ratio") else 100.0
    return abs(level - before) >= watch.capacity_share_floor * capacity


def sustained(series: Series, shift: Shift, params: Params, watch: WatchParams) -> bool:
    """The shift holds now: its latest readings stand beyond the anomaly threshold and beyond the baseline's own
    farthest reading, in the shift's direction, for at least ``min_persistence`` readings in a row carrying the
    evidence of ``sustain_samples`` readings at the threshold; and it is material (see the module's words)."""
    finite = np.isfinite(series.values) & np.isfinite(series.times)
    times, values = series.times[finite], series.values[finite]
    before = values[times < shift.onset]
    if len(before) < max(params.min_before_points, watch.min_baseline_points):
        return False
    sign = 1.0 if shift.direction == "up" else -1.0
    level = float(np.median(before))
    z = sign * (values - level) / _spread(before, series.name, values, shift.direction, params, watch)
    precedent = float(np.max(sign * (before - level)))
    beyond = (z >= params.anomaly_threshold) & (sign * (values - level) > watch.precedent_margin * precedent)
    beyond[: len(before)] = False  # the baseline is what a change is measured against, never part of it
    run = len(beyond) - 1 - int(np.flatnonzero(~beyond)[-1])  # the latest readings beyond, in a row
    if run < watch.min_persistence:
        return False
    evidence = float(np.minimum(z[-run:], watch.reading_evidence_cap * params.anomaly_threshold).sum())
    if evidence < watch.sustain_samples * params.anomaly_threshold:
        return False
    held = float(np.min(sign * values[-run:])) * sign  # the least extreme of the readings that make the warning
    return _material(series.name, level, held, watch)


def _bad_direction(shift: Shift) -> bool:
    bad = classify(shift.metric).bad
    return bad == "both" or bad == shift.direction


def early_warnings(
    ranked: list[ServiceRecord], series: list[Series], params: Params, watch: WatchParams
) -> list[EarlyWarning]:
    """One warning per service and signal family: its strongest sustained fault shift in the bad direction.
    (The engine's ``recovering`` is not read: a spike that settled halfway back may still stand far beyond the
    threshold, and the sustain check asks exactly whether it does.)"""
    by_key = {s.key(): s for s in series}
    out: list[EarlyWarning] = []
    for record in ranked:
        if record.raw_score < params.anomaly_threshold:
            continue
        families: set[str] = set()
        for shift in record.series:  # strongest first
            if (
                shift.score < params.anomaly_threshold
                or shift.kind not in FAULT_KINDS
                or shift.kind in families
                or shift.service != record.service
                or not _bad_direction(shift)
                or is_limit(shift.metric)
            ):
                continue
            item = by_key.get(shift.key)
            if item is None or not sustained(item, shift, params, watch):
                continue
            families.add(shift.kind)
            out.append(
                EarlyWarning(
                    service=record.service,
                    family=shift.kind,
                    signal=shift.signal or shift.metric,
                    metric=shift.metric,
                    before=shift.before,
                    after=shift.after,
                    since=shift.onset,
                    score=shift.score,
                    labels=dict(shift.labels),
                    explained_by=sorted({*record.propagated_from, *record.load_from}),
                )
            )
    return out
