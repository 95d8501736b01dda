"""How far one series moved at an incident's onset.

Find the change point near the hinted onset (an L1 split, so an imprecise alert time does not break it),
then score the shift BARO-style: the distance of the values after it from the median before it, in units
of the robust spread before it, in the direction that is bad for that kind of signal. A steady trend
across the window (a slow burn) is read as the distance between its start and its end. Shifts the
history already showed, and blips that have already come back, count less. Series too short for a
change-point search (a handful of coarse samples) are read at the hinted onset instead, and marked.
"""

from __future__ import annotations

import numpy as np

from tools.rca.params import Params
from tools.rca.records import Shift
from tools.rca.vocabulary import ACCUMULATING, classify
from tools.sources.base import Series

__all__ = ["score_series", "screen", "extra_labels", "trend_start_of", "on_calls"]

_OWN_LABELS = frozenset({"__name__", "service", "job"})


def extra_labels(series: Series) -> dict[str, str]:
    """The labels that tell a series apart from its service's others (pod, node, upstream, route…)."""
    return {k: v for k, v in series.labels.items() if k not in _OWN_LABELS}


def on_calls(series: Series) -> bool:
    """A series about a service's calls to another (by its name, or an ``upstream`` label) rather than
    about its own work: it speaks mostly for the service it calls."""
    return classify(series.name).dependency or bool(series.labels.get("upstream") or series.labels.get("dependency"))


def _smooth(values: np.ndarray) -> np.ndarray:
    if len(values) < 3:
        return values
    padded = np.concatenate([values[:1], values, values[-1:]])
    return np.asarray(np.median(np.vstack([padded[:-2], padded[1:-1], padded[2:]]), axis=0))


def _scale(before: np.ndarray, floor: float, absolute: float, level: float | None = None) -> float:
    q75, q25 = np.percentile(before, [75, 25])
    level = float(np.median(before)) if level is None else level
    return max(float(q75 - q25) / 1.349, floor * abs(level), absolute)


def ceiling_of(kind: str, values: np.ndarray) -> float | None:
    """The ceiling of a success share (availability, hit ratio) bounded by 1 or by 100, else None."""
    if kind != "availability" or values.size == 0:
        return None
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    if low < 0:
        return None
    return 1.0 if high <= 1.0 else 100.0 if high <= 100.0 else None


def headroom(kind: str, values: np.ndarray, level: float, absolute: float, params: Params) -> tuple[float, float]:
    """The level a relative floor is taken of, and the absolute floor: for a success share, its distance from
    the ceiling (100% → 96.5% is failures from 0 to 3.5%, a large change, not a 3.5% dip of a level) and
    ``share_floor`` of the ceiling; for anything else, the level itself and the unit's floor."""
    ceiling = ceiling_of(kind, values)
    if ceiling is None:
        return level, absolute
    return ceiling - level, max(absolute, params.share_floor * ceiling)


def _drift(
    times: np.ndarray, values: np.ndarray, floor: float, absolute: float, params: Params
) -> tuple[float, float, float, float] | None:
    """A slow burn: the end of the window against its start, when the series trends steadily.
    Returns (signed z, the end of its head, start level, end level) or None."""
    n = len(values)
    if n < params.drift_min_points:
        return None
    head, tail = values[: max(n // 4, 3)], values[-max(n // 10, 3) :]
    ranks = np.argsort(np.argsort(values))
    trend = float(np.corrcoef(np.arange(n), ranks)[0, 1])
    if not np.isfinite(trend) or abs(trend) < params.drift_min_trend:
        return None
    start, end = float(np.median(head)), float(np.median(tail))
    return (end - start) / _scale(head, floor, absolute), float(times[len(head)]), start, end


def trend_start_of(times: np.ndarray, values: np.ndarray) -> float:
    """Where a trend left its flat start: the split that best fits a flat segment followed by a line."""
    n = len(values)
    best, best_cost = 0, np.inf
    for k in range(0, n - 3, max(n // 60, 1)):
        flat = values[:k]
        rest_t, rest_v = times[k:], values[k:]
        slope, intercept = np.polyfit(rest_t - rest_t[0], rest_v, 1)
        cost = float(np.abs(flat - np.median(flat)).sum()) if k else 0.0
        cost += float(np.abs(rest_v - (intercept + slope * (rest_t - rest_t[0]))).sum())
        if cost < best_cost:
            best, best_cost = k, cost
    return float(times[best])


def _trending(values: np.ndarray, params: Params) -> bool:
    """The series climbs or falls steadily across the window (rank correlation with time), and a line fits
    it better than one step does: values that jumped once early in the window are ranked in time order
    too, but they are a step whose change point may lie further back, not a slope."""
    if len(values) < params.drift_min_points:
        return False
    trend = float(np.corrcoef(np.arange(len(values)), np.argsort(np.argsort(values)))[0, 1])
    if not (np.isfinite(trend) and abs(trend) >= params.drift_min_trend):
        return False
    index = np.arange(len(values))
    line = np.polyval(np.polyfit(index, values, 1), index)
    splits = np.arange(2, len(values) - 1)
    step = _segment_cost(values, splits) + _segment_cost(values[::-1], len(values) - splits)
    return bool(np.abs(values - line).sum() <= float(step.min()))


def _find_onset(
    times: np.ndarray,
    values: np.ndarray,
    hint: float,
    lookback: float,
    lookahead: float,
    least: int,
    widen: bool = True,
    slack: float = 0.0,
    gain: float = 0.0,
) -> int:
    """Index of the change point within [hint - lookback, hint + lookahead]: the split that minimises the
    total absolute deviation of the two segments from their medians (an L1 change point). A split on the
    window's early edge means a step lies further back (an alert that fired long after the onset): the
    search then widens, threefold each time, to the start of the data (not for a steady trend, whose best
    split sits on any edge). So it does when a split there costs within ``slack`` of the best (nothing
    inside the window moved), if the wider search's split costs ``gain`` less (a step, not a spike's
    noise, lies further back)."""
    k, at_edge, flat, cost = _split(times, values, hint, lookback, lookahead, least, slack)
    while widen and (at_edge or flat) and hint - lookback > times[0]:
        lookback *= 3
        wider, wider_edge, wider_flat, wider_cost = _split(times, values, hint, lookback, lookahead, least, slack)
        if not at_edge and wider_cost > cost * (1.0 - gain):
            return k  # only a flat window sent us back, and nothing there explains the series better
        k, at_edge, flat, cost = wider, wider_edge, wider_flat, wider_cost
    return k


def _split(
    times: np.ndarray,
    values: np.ndarray,
    hint: float,
    lookback: float,
    lookahead: float,
    least: int,
    slack: float = 0.0,
) -> tuple[int, bool, bool, float]:
    """(split, on the early edge, the edge as good as the best within ``slack``, its cost)."""
    n = len(values)
    floor = min(least, max(n // 3, 2))
    lo = max(int(np.searchsorted(times, hint - lookback)), floor)
    hi = min(int(np.searchsorted(times, hint + lookahead)), n - 2)
    if hi <= lo:
        return min(max(int(np.searchsorted(times, hint)), 1), n - 1), False, False, 0.0
    splits = np.arange(lo, hi + 1)
    cost = _segment_cost(values, splits) + _segment_cost(values[::-1], n - splits)
    best = int(np.flatnonzero(cost <= cost.min() + 1e-12)[0])
    flat = float(cost[0]) <= float(cost[best]) * (1.0 + slack) + 1e-12
    return int(splits[best]), best == 0 and lo > floor, flat and best != 0 and lo > floor, float(cost[best])


def _segment_cost(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """For each length k: the total absolute deviation of ``values[:k]`` from its median (vectorised)."""
    inside = np.arange(len(values))[None, :] < lengths[:, None]
    rows = np.where(inside, values[None, :], np.nan)
    ordered = np.sort(rows, axis=1)  # NaNs last
    picks = np.arange(len(lengths))
    median = (ordered[picks, (lengths - 1) // 2] + ordered[picks, lengths // 2]) / 2.0
    return np.asarray(np.where(inside, np.abs(rows - median[:, None]), 0.0).sum(axis=1))


def _precedent_factor(
    before: np.ndarray, med: float, scale: float, direction: str, peak_z: float, params: Params
) -> float:
    """Shifts the history already showed (a flapping threshold, a noisy series) are not news."""
    if len(before) < params.precedent_min_points:
        return 1.0
    history = (_smooth(before) - med) / scale
    seen = float(np.max(history)) if direction == "up" else float(-np.min(history))
    if seen <= 0 or peak_z > params.precedent_ratio * seen:
        return 1.0
    return params.precedent_discount


def _standing(directed: np.ndarray, counting: bool, params: Params) -> float | None:
    """Where an anomalous shift stands now (the median of its latest three readings), or None when it
    cannot have come back: too short, never anomalous, or a count that never went down (restarts so far),
    whose rise in its latest sample has only begun."""
    if counting or len(directed) < 6 or float(np.max(directed)) < params.anomaly_threshold:
        return None
    return float(np.median(directed[-3:]))


def screen(series: list[Series], hint: float, params: Params) -> dict[int, Shift]:
    """A cheap first look at many series at once, so a fleet of thousands ranks in about a second: the
    largest move after ``hint - lookback_s`` against the spread of the first quarter of the time, computed for every
    series sampled alike in one array. Series whose moves all stay under ``screen_share`` of the anomaly
    threshold are quiet: their small reading stands without a change-point search (index -> reading).
    The rest, and series with gaps or too few points, are left to :func:`score_series`."""
    groups: dict[tuple[int, float, float], list[int]] = {}
    for index, item in enumerate(series):
        n = len(item.values)
        if n >= params.short_points and len(item.times) == n:
            groups.setdefault((n, float(item.times[0]), float(item.times[-1])), []).append(index)
    quiet: dict[int, Shift] = {}
    for (_n, _first, _last), members in groups.items():
        values = np.vstack([series[i].values for i in members]).astype(float)
        finite = np.isfinite(values).all(axis=1)
        times = series[members[0]].times
        first_quarter = (
            float(times[0]) + (float(times[-1]) - float(times[0])) / 4
        )  # by time: an old past may be coarser
        head = values[:, : max(int(np.searchsorted(times, first_quarter, side="right")), 3)]
        q25, med, q75 = np.percentile(head, [25, 50, 75], axis=1)
        signals = [classify(series[i].name) for i in members]
        floors = np.array(
            [params.accumulating_floor if sig.kind in ACCUMULATING else params.relative_floor for sig in signals]
        )
        bounds = [
            headroom(sig.kind, series[i].values, m, sig.floor, params)
            for sig, i, m in zip(signals, members, med.tolist(), strict=True)
        ]
        level, absolute = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
        scale = np.maximum(np.maximum((q75 - q25) / 1.349, floors * np.abs(level)), absolute)
        rest = values[:, int(np.searchsorted(times, hint - params.lookback_s)) :]
        if rest.shape[1] == 0:
            continue
        up, down = (rest.max(axis=1) - med) / scale, (med - rest.min(axis=1)) / scale
        calm = finite & (np.maximum(up, down) < params.anomaly_threshold * params.screen_share)
        settled = np.median(values[:, -3:], axis=1)
        is_up = np.array(
            [sig.bad == "up" or (sig.bad == "both" and u >= d) for sig, u, d in zip(signals, up, down, strict=True)]
        )
        weights = np.array(
            [
                sig.weight * (params.dependency_weight if on_calls(series[i]) else 1.0)
                for sig, i in zip(signals, members, strict=True)
            ]
        )
        scores = np.round(np.maximum(np.where(is_up, up, down), 0.0) * weights, 2).tolist()
        changes = np.round(
            np.where(np.abs(med) > 1e-12, (settled - med) / np.where(med == 0, 1, np.abs(med)) * 100, 0.0), 1
        ).tolist()
        befores, afters, ups = med.tolist(), settled.tolist(), is_up.tolist()
        for row in np.flatnonzero(calm).tolist():
            item, sig = series[members[row]], signals[row]
            quiet[members[row]] = Shift(
                key=item.key(),
                service=item.service,
                metric=item.name,
                kind=sig.kind,
                score=scores[row],
                direction="up" if ups[row] else "down",
                onset=float(hint),
                before=befores[row],
                after=afters[row],
                change_pct=changes[row],
                signal=sig.name,
                labels=extra_labels(item),
            )
    return quiet


def score_series(series: Series, onset_hint: float, params: Params | None = None) -> Shift | None:
    """The directed robust shift of one series at its change point near ``onset_hint`` (None: no data)."""
    params = params or Params()
    finite = np.isfinite(series.values) & np.isfinite(series.times)
    times, values = series.times[finite], series.values[finite]
    if len(values) < 2 or float(np.ptp(times)) <= 0:
        return None
    signal = classify(series.name)
    floor = params.accumulating_floor if signal.kind in ACCUMULATING else params.relative_floor
    short = len(values) < params.short_points
    if short:  # too few points to search: split at the hinted onset, keeping at least one point each side
        k = min(max(int(np.searchsorted(times, onset_hint)), 1), len(values) - 1)
    else:
        spacing = float(np.median(np.diff(times)))  # coarse data: the change may show one sample after the hint
        k = _find_onset(
            times,
            values,
            onset_hint,
            params.lookback_s,
            max(params.lookahead_s, 1.5 * spacing),
            params.min_before_points,
            widen=not _trending(values, params),
            slack=params.edge_cost_slack,
            gain=params.widen_gain,
        )
    spacing = float(np.median(np.diff(times)))
    # a median filter takes out single-sample noise of fine data; a coarse sample is minutes of data
    before, after = values[:k], (_smooth(values[k:]) if spacing < params.smooth_below_step_s else values[k:])
    if len(after) < 1 or (len(before) < 3 and not short):
        return None
    counting = bool(np.all(np.diff(values) >= 0))  # never went down: a count of events so far
    med = float(np.median(before))
    level, absolute = headroom(signal.kind, values, med, signal.floor, params)
    scale = _scale(before, floor, absolute, level)
    z = (after - med) / scale
    up, down = float(np.max(z)), float(-np.min(z))
    trend_start = None
    drift = None if short else _drift(times, values, floor, signal.floor, params)
    if drift is not None and max(drift[0], -drift[0]) > params.drift_dominance * max(up, down):
        up, down = max(drift[0], 0.0), max(-drift[0], 0.0)
        med, after = drift[2], np.array([drift[3]])
        trend_start = trend_start_of(times, values)
        if float(np.max(np.abs(z))) < params.anomaly_threshold:  # a slow burn with no step: it began with its trend
            k = min(int(np.searchsorted(times, trend_start)), len(times) - 1)
    if signal.bad == "up":
        score, direction = max(up, 0.0), "up"
    elif signal.bad == "down":
        score, direction = max(down, 0.0), "down"
    else:
        score, direction = (up, "up") if up >= down else (down, "down")
    score = min(score, params.z_cap) * signal.weight * (params.dependency_weight if on_calls(series) else 1.0)
    score *= _precedent_factor(before, med, scale, direction, max(up, down), params)
    directed = z if direction == "up" else -z
    now = _standing(directed, counting, params)
    if now is not None and now < params.anomaly_threshold / 2:
        score *= params.blip_discount  # a blip that has already recovered matters less than one still there
    peak = float(np.max(after)) if direction == "up" else float(np.min(after))
    settled = float(np.median(after[len(after) // 2 :]))  # the level it settled at, past the transition
    shown = settled if abs(settled - med) >= params.settled_share * abs(peak - med) else peak
    change = (shown - med) / abs(med) * 100.0 if abs(med) > 1e-12 else float("inf") if shown != med else 0.0
    return Shift(
        key=series.key(),
        service=series.service,
        metric=series.name,
        kind=signal.kind,
        score=round(float(score), 2),
        direction=direction,
        onset=float(times[min(k, len(times) - 1)]),
        before=med,
        after=shown,
        change_pct=round(change, 1) if np.isfinite(change) else 1e9,
        recovering=now is not None and now <= (1 - params.recovered_share) * float(np.max(directed)),
        signal=signal.name,
        labels=extra_labels(series),
        short=short,
        trend_start=trend_start,
    )
