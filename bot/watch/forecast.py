"""Exhaustion forecasts: for a saturating resource (disk, memory against its limit, a pool, a queue against
its capacity), fit the recent trend robustly (Theil–Sen: the median of the pairwise slopes, so one bad scrape
does not tilt the line) and project when it reaches its capacity. A series that rose is fitted from where its
trend began (the flat-then-line split of :func:`tools.rca.series.trend_start_of`): the flat minutes before a
leak began would otherwise pull the median slope toward zero and push the projection out.

The capacity is 1 for a ratio (``disk_usage_ratio``, ``db_pool_in_use_ratio``), else the latest reading of a
limit series of the same service and kind (``memory_limit_bytes`` for ``memory_usage_bytes``). A resource
with neither has no known bound and is not forecast."""

from __future__ import annotations

import numpy as np

from bot.watch.params import WatchParams
from bot.watch.records import Forecast
from bot.watch.resources import SATURATING, is_limit
from bot.watch.warnings import quantum
from tools.rca.series import extra_labels, trend_start_of
from tools.rca.vocabulary import classify
from tools.sources.base import Series

__all__ = ["theil_sen", "capacity_of", "forecasts"]


def theil_sen(times: np.ndarray, values: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of the Theil–Sen line: the median pairwise slope and the median residual level."""
    i, j = np.triu_indices(len(times), k=1)
    dt = times[j] - times[i]
    keep = dt > 0
    slope = float(np.median((values[j] - values[i])[keep] / dt[keep]))
    return slope, float(np.median(values - slope * times))


def capacity_of(item: Series, limits: dict[tuple[str, str], float]) -> float | None:
    """What ``item`` fills up to: 1 for a ratio, 100 for a percentage, else its service's limit of that kind."""
    name = item.name.lower()
    if name.endswith("ratio"):
        return 1.0
    if name.endswith(("percent", "pct")):
        return 100.0
    return limits.get((item.service, classify(item.name).kind))


def _limits(series: list[Series]) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for item in series:
        if is_limit(item.name):
            finite = item.values[np.isfinite(item.values)]
            if finite.size and float(finite[-1]) > 0:
                out[(item.service, classify(item.name).kind)] = float(finite[-1])
    return out


def _forecast(item: Series, capacity: float, now: float, watch: WatchParams) -> Forecast | None:
    finite = np.isfinite(item.values) & np.isfinite(item.times)
    times, values = item.times[finite], item.values[finite]
    recent = times >= now - watch.forecast_fit_s
    times, values = times[recent], values[recent]
    if len(values) < watch.forecast_min_points:
        return None
    head, tail = values[: watch.forecast_min_points], values[-watch.forecast_min_points :]
    start_noise = float(np.median(np.abs(head - np.median(head)))) * 1.4826
    if float(np.median(tail) - np.median(head)) > watch.forecast_min_rise_spreads * start_noise:
        # it rose beyond the noise of its start: fit the trend from where it began, once it has enough readings
        # (padded with the flat readings before it, the line would lean low and the projection come late)
        began = times >= trend_start_of(times, values)
        if int(began.sum()) < watch.forecast_min_points:
            return None
        times, values = times[began], values[began]
    origin = float(times[-1])
    slope, intercept = theil_sen(times - origin, values)
    if slope <= 0:
        return None
    residuals = values - (intercept + slope * (times - origin))
    noise = float(np.median(np.abs(residuals - np.median(residuals)))) * 1.4826  # the MAD as a Gaussian's sigma
    rise = slope * float(times[-1] - times[0])
    if rise < max(
        watch.forecast_min_rise_spreads * noise,
        classify(item.name).floor,
        watch.forecast_min_rise_units * quantum(values),
    ):
        return None
    level = intercept  # the line at the latest reading
    seconds = (capacity - level) / slope - (now - origin)
    if level >= capacity or seconds > watch.forecast_horizon_s:
        return None
    if seconds > watch.forecast_max_lookahead * float(times[-1] - times[0]):
        return None  # further ahead than the trend has been seen to hold
    signal = classify(item.name)
    return Forecast(
        service=item.service,
        signal=signal.name or item.name,
        metric=item.name,
        level=level,
        capacity=capacity,
        slope_per_s=slope,
        seconds_to_full=max(seconds, 0.0),
        labels=extra_labels(item),
    )


def forecasts(series: list[Series], now: float, watch: WatchParams) -> list[Forecast]:
    """Saturating resources projected to reach their capacity within ``forecast_horizon_s``, soonest first."""
    limits = _limits(series)
    out = []
    for item in series:
        if classify(item.name).kind not in SATURATING or is_limit(item.name):
            continue
        capacity = capacity_of(item, limits)
        if capacity is None:
            continue
        found = _forecast(item, capacity, now, watch)
        if found is not None:
            out.append(found)
    return sorted(out, key=lambda f: f.seconds_to_full)
