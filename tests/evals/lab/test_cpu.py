"""The lab's CFS-style CPU limit: periods, throttled periods, and a hot loop held to its quota."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from evals.lab.services.cpu import STAT_EVERY_S, CpuQuota, burn_cpu, read_cpu_stat


class Clocks:
    """A wall clock and a CPU clock the test moves by hand; sleeping moves the wall clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self.cpu = 0.0
        self.slept: list[float] = []

    def wall(self) -> float:
        return self.now

    def used(self) -> float:
        return self.cpu

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_periods_count_only_when_the_process_used_cpu_and_throttled_when_the_quota_ran_out() -> None:
    clocks = Clocks()
    quota = CpuQuota(0.5, period_s=0.1, clock=clocks.wall, cpu_clock=clocks.used, sleep=clocks.sleep)
    clocks.cpu, clocks.now = 0.01, 0.15  # period 0 used 10 ms of its 50 ms
    quota.tick()
    clocks.now = 0.25  # period 1 was idle
    quota.tick()
    assert (quota.periods, quota.throttled_periods) == (1, 0)
    assert quota.wait() == 0.0 and clocks.slept == []
    clocks.cpu += 0.06  # period 2 used 60 ms: over its quota
    clocks.now = 0.27
    waited = quota.wait()
    assert waited == pytest.approx(0.03, abs=1e-3), "held until period 3 starts"
    assert clocks.now >= 0.3 and quota.throttled_s == pytest.approx(waited)
    assert (quota.periods, quota.throttled_periods) == (2, 1)
    assert quota.wait() == 0.0, "a new period has a fresh quota"


def test_a_hot_loop_is_held_to_its_quota_and_counted_as_a_cgroup_does(tmp_path: Path) -> None:
    quota = CpuQuota(0.2)
    stop = threading.Event()
    stat_file = tmp_path / "pods" / "inventory-x.cpu.stat"
    quota.install(stop, stat_file)
    try:
        cpu, wall = time.process_time(), time.monotonic()
        burn_cpu(0.25, quota)
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
        time.sleep(STAT_EVERY_S + 0.2)
    finally:
        stop.set()
    assert wall >= 0.25 / 0.2 * 0.8, f"0.25 s of CPU at 0.2 cores takes over a second, took {wall:.2f}s"
    assert quota.throttled_periods >= 5 and quota.throttled_s > 0.3
    assert quota.periods >= quota.throttled_periods
    stat = read_cpu_stat(stat_file)
    assert 5 <= stat["nr_throttled"] <= quota.throttled_periods and stat["nr_periods"] <= quota.periods
    assert stat["throttled_usec"] > 300_000, "cpu.stat's names, as cAdvisor reads them"


def test_a_quota_needs_a_positive_limit() -> None:
    with pytest.raises(ValueError, match="positive limit"):
        CpuQuota(0.0)
