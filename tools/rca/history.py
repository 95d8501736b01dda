"""What a suspect series looked like before the window: when its trend began, and whether the same
shift came at the same time of day yesterday or last week (a nightly batch, a Monday newsletter).

Read from the metrics source with the window shifted back (the same data PromQL's ``offset`` reads).
Short or missing history degrades to "not compared", never to an error.
"""

from __future__ import annotations

import numpy as np

from tools.rca.params import Params
from tools.rca.records import Trend
from tools.rca.series import score_series, trend_start_of
from tools.sources.base import MetricsSource, Series

__all__ = ["series_history", "SEASONS"]

SEASONS = {"1d": 86400.0, "7d": 7 * 86400.0}
"""The earlier windows a shift is compared with: the same time yesterday and a week ago."""


def _points(series: list[Series]) -> Series | None:
    best = max(series, key=lambda s: len(s.times), default=None)
    if best is None:
        return None
    keep = np.isfinite(best.values)
    return Series(best.labels, best.times[keep], best.values[keep]) if keep.sum() >= 3 else None


def _repeats(now: Series, past: Series, split: float, lag: float, params: Params) -> bool | None:
    """Did the past window shift like this one, in the same direction and by a comparable amount?"""
    before_now, after_now = now.values[now.times < split], now.values[now.times >= split]
    spacing = float(np.median(np.diff(past.times))) if len(past.times) > 1 else 0.0
    until = max(float(now.times[-1]), split + 3 * spacing) - lag  # older data may be coarser: see enough of it
    before_past = past.values[past.times < split - lag]
    after_past = past.values[(past.times >= split - lag) & (past.times <= until)]
    if min(len(before_now), len(after_now), len(before_past), len(after_past)) < 2:
        return None
    delta_now = float(np.median(after_now) - np.median(before_now))
    if delta_now == 0:
        return None
    side = 75 if delta_now > 0 else 25
    delta_past = float(np.percentile(after_past, side) - np.median(before_past))
    return delta_past * delta_now > 0 and abs(delta_past) >= params.seasonal_similarity * abs(delta_now)


def _began(long: Series, onset: float, params: Params) -> float | None:
    """When a series left its long-run level before ``onset``: the start of a steady trend, if it trends."""
    mask = long.times <= onset
    times, values = long.times[mask], long.values[mask]
    if len(values) < params.drift_min_points:
        return None
    ranks = np.argsort(np.argsort(values))
    trend = float(np.corrcoef(np.arange(len(values)), ranks)[0, 1])
    if not np.isfinite(trend) or abs(trend) < params.drift_min_trend:
        return None
    return trend_start_of(times, values)


def series_history(
    source: MetricsSource, keys: list[str], onset: float, start: float, now: float, step: float, params: Params
) -> list[Trend]:
    """For each series selector in ``keys``: its trend's start over the long past, and which of the
    earlier windows (:data:`SEASONS`) repeated its current shift."""
    out = []
    for key in keys[: params.history_series + 2 * params.history_burning]:
        current = _points(source.query_range(key, start, now, step))
        if current is None:
            continue
        shift = score_series(current, onset, params)
        service = current.labels.get("service", "") or current.labels.get("job", "")
        trend = Trend(key=key, service=service, metric=current.name)
        long = _points(
            source.query_range(key, onset - params.history_long_s, now, max(step, params.history_long_s / 480))
        )
        if long is not None:
            trend.trend_start = _began(long, onset, params)
            if trend.trend_start is not None and trend.trend_start <= float(long.times[0]) + params.history_edge_s:
                deep = _points(
                    source.query_range(key, onset - params.history_deep_s, now, max(step, params.history_deep_s / 480))
                )
                if deep is not None and float(deep.times[0]) < float(long.times[0]):
                    long = deep  # already climbing when the day began: follow it back to where it started
                    trend.trend_start = _began(long, onset, params)
            if len(long.times) > 1:
                trend.spacing_s = float(np.median(np.diff(np.asarray(long.times, dtype=float))))
            burn = score_series(long, trend.trend_start, params) if trend.trend_start is not None else None
            if burn is not None:
                trend.burn_score, trend.burn_before = burn.score, burn.before
        split = shift.onset if shift is not None else onset
        for name, lag in SEASONS.items():
            past = _points(source.query_range(key, start - lag, now - lag + params.history_margin_s, step))
            verdict = _repeats(current, past, split, lag, params) if past is not None else None
            if verdict is None:
                continue
            trend.compared.append(name)
            if verdict:
                trend.repeats.append(name)
        out.append(trend)
    return out
