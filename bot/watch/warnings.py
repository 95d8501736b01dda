"""Early warnings from one ranking: the engine's anomalous shifts that are faults, in their bad direction, and
still there — beyond the anomaly threshold over each series' last ``sustain_samples`` readings.

The engine says how far a series moved and when; this module adds the one thing a watcher needs that an
investigation does not: that the change has held, measured against the same robust spread (the series'
own spread before the change point, floored as the engine floors it)."""

from __future__ import annotations

import numpy as np

from bot.watch.params import WatchParams
from bot.watch.records import EarlyWarning
from bot.watch.resources import is_limit
from tools.rca.params import Params
from tools.rca.records import ServiceRecord, Shift
from tools.rca.series import headroom
from tools.rca.vocabulary import ACCUMULATING, FAULT_KINDS, classify
from tools.sources.base import Series

__all__ = ["early_warnings", "sustained"]


def _spread(before: np.ndarray, metric: str, values: np.ndarray, params: Params) -> float:
    """The robust spread the engine measures a shift in: the IQR of the readings before the change point,
    floored at a share of their level and at the unit's smallest change that matters."""
    signal = classify(metric)
    share = params.accumulating_floor if signal.kind in ACCUMULATING else params.relative_floor
    level = float(np.median(before))
    base, absolute = headroom(signal.kind, values, level, signal.floor, params)
    q75, q25 = np.percentile(before, [75, 25])
    return max(float(q75 - q25) / 1.349, share * abs(base), absolute)


def sustained(series: Series, shift: Shift, params: Params, watch: WatchParams) -> bool:
    """The series' last ``sustain_samples`` readings all stand beyond the anomaly threshold, in the shift's
    direction, measured from its level before the change point."""
    finite = np.isfinite(series.values) & np.isfinite(series.times)
    times, values = series.times[finite], series.values[finite]
    before = values[times < shift.onset]
    last = values[-watch.sustain_samples:]
    if len(before) < params.min_before_points or len(last) < watch.sustain_samples:
        return False
    z = (last - float(np.median(before))) / _spread(before, series.name, values, params)
    directed = z if shift.direction == "up" else -z
    return bool(np.all(directed >= params.anomaly_threshold))


def _bad_direction(shift: Shift) -> bool:
    bad = classify(shift.metric).bad
    return bad == "both" or bad == shift.direction


def early_warnings(ranked: list[ServiceRecord], series: list[Series], params: Params,
                   watch: WatchParams) -> list[EarlyWarning]:
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
            if (shift.score < params.anomaly_threshold or shift.kind not in FAULT_KINDS or shift.kind in families
                    or shift.service != record.service or not _bad_direction(shift)
                    or is_limit(shift.metric)):
                continue
            item = by_key.get(shift.key)
            if item is None or not sustained(item, shift, params, watch):
                continue
            families.add(shift.kind)
            out.append(EarlyWarning(service=record.service, family=shift.kind, signal=shift.signal or shift.metric,
                                    metric=shift.metric, before=shift.before, after=shift.after, since=shift.onset,
                                    score=shift.score, labels=dict(shift.labels),
                                    explained_by=sorted({*record.propagated_from, *record.load_from})))
    return out
