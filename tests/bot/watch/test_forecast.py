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
