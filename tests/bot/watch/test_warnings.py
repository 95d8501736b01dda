"""The sustained-shift test of an early warning, one mechanism at a time: each test shows the shape a mechanism
keeps quiet (or warns of sooner), and that switching that mechanism off changes the answer."""

from __future__ import annotations

import numpy as np
import pytest

from bot.watch import Scanner, WatchParams, WatchState
from bot.watch.warnings import quantum
from tests.bot.watch.conftest import STEP, T0, FakeMetrics
from tools.sources.base import Series

TIMES = np.arange(T0 - 3600, T0 + STEP / 2, STEP)


def _series(service: str, metric: str, values: np.ndarray) -> Series:
    return Series({"__name__": metric, "service": service}, TIMES.copy(), np.asarray(values, dtype=float))


def _calm(service: str = "payments") -> list[Series]:
    """Traffic and errors that never move (the warnings tested are about the other series)."""
    rng = np.random.default_rng(9)
    return [
        _series(service, "request_rate", rng.normal(100.0, 2.0, len(TIMES))),
        _series(service, "error_ratio", np.clip(rng.normal(0.002, 0.0002, len(TIMES)), 0, None)),
    ]


def _warned(state: WatchState, series: list[Series], watch: WatchParams | None = None) -> list[str]:
    report = Scanner(FakeMetrics(series + _calm()), state, watch=watch or WatchParams()).scan(T0)
    return [w.signal for w in report.warnings]


def _latency(level: float, noise: float, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(level, noise, len(TIMES))


# ----- persistence: two readings in a row, with the evidence of three at the threshold -----


def test_a_large_shift_is_sustained_after_two_readings_a_marginal_one_needs_three(state: WatchState) -> None:
    large = _latency(0.2, 0.01)
    large[-2:] = 1.4  # two readings, each far beyond the threshold
    assert _warned(state, [_series("payments", "latency_p99_seconds", large)]) == ["latency_p99_seconds"]
    # each reading counted at the threshold alone: two readings are not the evidence of three
    capped = WatchParams(reading_evidence_cap=1.0)
    assert _warned(state, [_series("payments", "latency_p99_seconds", large)], capped) == []


def test_one_wild_reading_is_never_a_warning(state: WatchState) -> None:
    blip = _latency(0.2, 0.01)
    blip[-1] = 9.0
    assert _warned(state, [_series("payments", "latency_p99_seconds", blip)]) == []
    single = WatchParams(min_persistence=1, sustain_samples=1)
    assert _warned(state, [_series("payments", "latency_p99_seconds", blip)], single) == ["latency_p99_seconds"]


# ----- the baseline: long enough to measure a spread on -----


def test_a_change_with_too_short_a_baseline_is_not_judged(state: WatchState) -> None:
    """A series that began eight readings ago (a new pod) and moved since: eight readings are no baseline."""
    young = np.full(len(TIMES), np.nan)
    young[-12:-4] = _latency(0.2, 0.01)[-12:-4]
    young[-4:] = 2.0
    series = [_series("payments", "latency_p99_seconds", young)]
    assert _warned(state, series) == []
    assert _warned(state, series, WatchParams(min_baseline_points=0)) == ["latency_p99_seconds"]


# ----- the spread: the baseline's own excursions, and a series' whole units -----


def test_a_p99_that_jumped_now_and_then_while_healthy_is_not_warned_of_for_jumping_again(state: WatchState) -> None:
    """A p99 between histogram buckets: flat at 50 ms, one reading in six at 70 ms; now four readings at 90 ms.
    Its IQR is flat, so the engine's spread is its 10% floor (z=8); its excursions say it is this noisy."""
    jumpy = np.full(len(TIMES), 0.05)
    jumpy[::6] = 0.07
    jumpy[-4:] = 0.09
    series = [_series("payments", "latency_p99_seconds", jumpy)]
    unfloored = WatchParams(latency_relative_floor=0.0)  # (the latency floor alone would keep it quiet too)
    assert _warned(state, series, unfloored) == []
    assert _warned(state, series, WatchParams(latency_relative_floor=0.0, tail_quantile=0.5)) == ["latency_p99_seconds"]


def test_a_level_the_baseline_already_reached_is_not_news(state: WatchState) -> None:
    """One healthy reading at 95 ms in half an hour (too rare for the tail), now 90 ms for a minute."""
    once = np.full(len(TIMES), 0.05)
    once[-60] = 0.095
    once[-4:] = 0.09
    series = [_series("payments", "latency_p99_seconds", once)]
    assert _warned(state, series, WatchParams(latency_relative_floor=0.0)) == []
    assert _warned(state, series, WatchParams(latency_relative_floor=0.0, precedent_margin=0.0)) == [
        "latency_p99_seconds"
    ]


def test_one_busy_connection_of_five_is_no_anomaly_and_a_full_pool_is(state: WatchState) -> None:
    pool = np.zeros(len(TIMES))
    pool[-3:] = 0.2  # one connection of five, held for three readings
    series = [_series("inventory", "db_pool_in_use_ratio", pool)]
    assert _warned(state, series) == []
    assert _warned(state, series, WatchParams(quantum_spreads=0.0)) == ["db_pool_in_use_ratio"]
    pool[::7] = 0.2
    pool[-3:] = 1.0  # every connection in use
    assert _warned(state, [_series("inventory", "db_pool_in_use_ratio", pool)]) == ["db_pool_in_use_ratio"]


def test_quantum_is_the_step_of_a_series_in_whole_units_and_zero_for_a_continuous_one() -> None:
    assert quantum(np.array([0.0, 0.2, 0.2, 0.6, 0.4])) == pytest.approx(0.2)
    assert quantum(np.array([3.0, 4.0, 12.0, 12.0])) == pytest.approx(1.0)
    assert quantum(np.random.default_rng(0).normal(0.2, 0.01, 50)) == 0.0
    assert quantum(np.array([5.0, 5.0])) == 0.0


def test_one_slow_request_after_a_restart_is_no_slowdown_and_a_fivefold_p99_is(state: WatchState) -> None:
    """A caller's p99 of calls to a freshly restarted service: flat at 50 ms, then one rate window (three readings)
    at 200 ms, the cold start's one slow request. A flat baseline gives no tail and no precedent: the latency floor
    (a spread of its own level) is what says a fourfold p99 may be one request."""
    cold = np.full(len(TIMES), 0.05)
    cold[-3:] = 0.2
    series = [_series("checkout", "upstream_latency_seconds", cold)]
    assert _warned(state, series) == []
    assert _warned(state, series, WatchParams(latency_relative_floor=0.0)) == ["upstream_latency_seconds"]
    cold[-3:] = 0.75  # fifteen times its level: slow calls, not one
    assert _warned(state, [_series("checkout", "upstream_latency_seconds", cold)]) == ["upstream_latency_seconds"]


# ----- materiality: a resource against its capacity -----


def test_cpu_moving_by_a_sliver_of_its_limit_is_not_worth_a_warning(state: WatchState) -> None:
    """CPU at 3% of its limit, very steady, now 5.5%: many spreads, but nothing near running out."""
    cpu = _latency(0.03, 0.0005, seed=4)
    cpu[-6:] = 0.055
    series = [_series("checkout", "cpu_usage_ratio", cpu)]
    assert _warned(state, series) == []
    assert _warned(state, series, WatchParams(capacity_share_floor=0.0)) == ["cpu_usage_ratio"]
    cpu[-6:] = 0.6  # most of the limit
    assert _warned(state, [_series("checkout", "cpu_usage_ratio", cpu)]) == ["cpu_usage_ratio"]
