"""Exhaustion forecasts: a robust trend fit projects when a filling resource reaches its capacity — 1 for a
ratio, its limit series otherwise — and only within the horizon, and only for a trend that stands above noise."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bot.watch import Scanner, WatchParams, WatchState
from bot.watch.forecast import forecasts, theil_sen
from tests.bot.watch.conftest import T0, FakeMetrics, flat
from tools.sources.base import Series

RATE_PER_MIN = 0.005
"""The disk fills half a percent of its size a minute."""


def filling_disk() -> Series:
    disk = flat("search", "disk_usage_ratio", 0.0, 0.002, seed=7, mountpoint="/var/lib/search")
    disk.values += 0.40 + RATE_PER_MIN * (disk.times - (T0 - 3600)) / 60.0
    return disk


def test_a_linear_disk_fill_is_forecast_within_30_percent_of_the_true_time_to_full() -> None:
    disk = filling_disk()
    level_now = 0.40 + RATE_PER_MIN * 60  # an hour of filling by T0
    truth_s = (1.0 - level_now) / RATE_PER_MIN * 60  # an hour
    window = [Series(disk.labels, disk.times[disk.times <= T0], disk.values[disk.times <= T0])]

    [forecast] = forecasts(window, T0, WatchParams())

    assert (forecast.service, forecast.signal, forecast.capacity) == ("search", "disk_usage_ratio", 1.0)
    assert abs(forecast.seconds_to_full - truth_s) <= 0.3 * truth_s
    assert forecast.percent_per_min == pytest.approx(0.5, rel=0.3)
    assert forecast.describe().startswith("disk_usage_ratio of search full in ~6")
    assert re.search(r"at \+0\.[45]\d?%/min \(now 70%\)$", forecast.describe()), forecast.describe()


def test_beyond_the_horizon_no_forecast() -> None:
    disk = filling_disk()
    window = [Series(disk.labels, disk.times[disk.times <= T0], disk.values[disk.times <= T0])]
    assert forecasts(window, T0, WatchParams(forecast_horizon_s=1800.0)) == []  # full in an hour, horizon 30 min


def test_memory_is_forecast_against_its_limit_series() -> None:
    used = flat("api", "memory_usage_bytes", 0.0, 2e6, seed=8)
    used.values += 600e6 + 5e6 * (used.times - (T0 - 3600)) / 60.0  # +5 MB/min from 600 MB
    limit = flat("api", "memory_limit_bytes", 1.5e9, 0.0, seed=9)
    window = [Series(s.labels, s.times[s.times <= T0], s.values[s.times <= T0]) for s in (used, limit)]

    [forecast] = forecasts(window, T0, WatchParams())

    assert forecast.metric == "memory_usage_bytes" and forecast.capacity == 1.5e9
    assert forecast.seconds_to_full == pytest.approx((1.5e9 - 900e6) / 5e6 * 60, rel=0.3)
    assert forecasts(window[:1], T0, WatchParams()) == []  # without a limit there is no capacity to reach


def test_a_noisy_flat_pool_near_full_is_not_a_trend() -> None:
    pool = flat("orders", "db_pool_in_use_ratio", 0.9, 0.03, seed=10)
    window = [Series(pool.labels, pool.times[pool.times <= T0], pool.values[pool.times <= T0])]
    assert forecasts(window, T0, WatchParams()) == []


def test_theil_sen_ignores_one_wild_reading() -> None:
    times = np.arange(20, dtype=float)
    values = 2.0 * times + 1.0
    values[10] = 500.0
    slope, intercept = theil_sen(times, values)
    assert slope == pytest.approx(2.0) and intercept == pytest.approx(1.0)


def test_a_scan_reports_the_forecast_once_per_cooldown(state: WatchState) -> None:
    scanner = Scanner(FakeMetrics([filling_disk(), flat("search", "request_rate", 300.0, 9.0, seed=11)]), state)
    first, again = scanner.scan(T0), scanner.scan(T0 + 30)
    assert [(f.service, f.new) for f in first.forecasts] == [("search", True)]
    assert [(f.service, f.new) for f in again.forecasts] == [("search", False)]
    assert first.to_dict()["forecasts"][0]["text"].startswith("disk_usage_ratio of search full in")


def test_a_leak_that_began_minutes_ago_is_fitted_from_where_it_began() -> None:
    """Memory flat at 100 MB for eight minutes of the ten-minute fit window, then +1 MB/s toward its 512 MB limit:
    the flat minutes would pull the median of the pairwise slopes toward zero (a projection several times too
    far); fitted from where the trend began, the time to full is right."""
    times = np.arange(T0 - 1800, T0 + 1, 15.0)
    rng = np.random.default_rng(3)
    began = T0 - 120
    used = 100e6 + rng.normal(0, 0.3e6, len(times)) + np.where(times > began, (times - began) * 1e6, 0.0)
    series = [
        Series({"__name__": "memory_usage_bytes", "service": "checkout"}, times, used),
        Series({"__name__": "memory_limit_bytes", "service": "checkout"}, times, np.full(len(times), 512e6)),
    ]
    truth_s = (512e6 - (100e6 + 120 * 1e6)) / 1e6

    [forecast] = forecasts(series, T0, WatchParams())

    assert forecast.capacity == 512e6
    assert abs(forecast.seconds_to_full - truth_s) <= 0.1 * truth_s
    recent = times >= T0 - WatchParams().forecast_fit_s
    slope, intercept = theil_sen(times[recent] - T0, used[recent])  # the whole window, as it was fitted before
    assert (512e6 - intercept) / slope > 2 * truth_s


def test_a_pool_flickering_two_connections_up_is_no_trend_and_one_filling_up_is() -> None:
    """Five connections, one or none in use most of the time; the latest readings climb two of them. Fitted from
    where that climb began, the line would reach the capacity within seconds: two units are no trend."""
    times = np.arange(T0 - 600, T0 + 1, 15.0)
    pool = np.where(np.arange(len(times)) % 3 == 0, 0.2, 0.0)
    pool[-6:] = [0.0, 0.2, 0.2, 0.2, 0.4, 0.4]
    series = [Series({"__name__": "db_pool_in_use_ratio", "service": "inventory"}, times, pool)]
    assert forecasts(series, T0, WatchParams()) == []
    assert [f.signal for f in forecasts(series, T0, WatchParams(forecast_min_rise_units=0))] == ["db_pool_in_use_ratio"]
    pool[-7:] = [0.0, 0.2, 0.2, 0.4, 0.4, 0.6, 0.8]  # four of five, climbing
    assert [f.signal for f in forecasts(series, T0, WatchParams())] == ["db_pool_in_use_ratio"]


def test_a_few_readings_of_growth_are_not_projected_half_an_hour_ahead() -> None:
    """A heap flat at 30 MB of 256 MB, then 1.5 MB more over its last six readings (a busier process): the line
    reaches the limit in about half an hour, sixty times further ahead than the growth has been seen."""
    times = np.arange(T0 - 600, T0 + 1, 5.0)
    used = np.full(len(times), 30e6) + np.random.default_rng(2).normal(0, 2e4, len(times))
    used[-6:] += np.linspace(0.25e6, 1.5e6, 6)
    series = [
        Series({"__name__": "memory_usage_bytes", "service": "inventory"}, times, used),
        Series({"__name__": "memory_limit_bytes", "service": "inventory"}, times, np.full(len(times), 256e6)),
    ]
    assert forecasts(series, T0, WatchParams()) == []
    [far] = forecasts(series, T0, WatchParams(forecast_max_lookahead=1e9))
    assert far.seconds_to_full > 600


def test_a_leak_is_forecast_once_its_climb_has_enough_readings_and_then_right() -> None:
    """The lab's leak on its compressed clock: 31 MB, then +12 MB/s (24 MB a 2 s reading) toward 256 MB. Three
    readings into the climb there is no trend yet (fitted with the flat readings before it, the line would lean
    low and the projection come late); from the fifth reading of the trend on, the time to full is right."""
    times = np.arange(T0 - 120, T0 + 1, 2.0)
    for climbed, forecast_expected in ((3, False), (4, True), (6, True)):
        used = np.full(len(times), 31e6)
        used[-climbed:] = 31e6 + 24e6 * np.arange(1, climbed + 1)
        series = [
            Series({"__name__": "memory_usage_bytes", "service": "checkout"}, times, used),
            Series({"__name__": "memory_limit_bytes", "service": "checkout"}, times, np.full(len(times), 256e6)),
        ]
        found = forecasts(series, T0, WatchParams())
        assert bool(found) == forecast_expected, climbed
        if found:
            assert found[0].seconds_to_full == pytest.approx((256e6 - used[-1]) / 12e6, rel=0.05)
