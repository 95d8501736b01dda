"""The lab's CFS-style CPU limit: periods, throttled periods, and a hot loop held to its quota."""

from __future__ import annotations

import threading
import time

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from evals.lab.services.cpu import CpuQuota, burn_cpu


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
    clocks.cpu, clocks.now = 0.01, 0.15        # period 0 used 10 ms of its 50 ms
    quota.tick()
    clocks.now = 0.25                           # period 1 was idle
    quota.tick()
    assert (quota.periods, quota.throttled_periods) == (1, 0)
    assert quota.wait() == 0.0 and clocks.slept == []
    clocks.cpu += 0.06                          # period 2 used 60 ms: over its quota
    clocks.now = 0.27
    waited = quota.wait()
    assert waited == pytest.approx(0.03, abs=1e-3), "held until period 3 starts"
    assert clocks.now >= 0.3 and quota.throttled_s == pytest.approx(waited)
    assert (quota.periods, quota.throttled_periods) == (2, 1)
    assert quota.wait() == 0.0, "a new period has a fresh quota"


def test_a_hot_loop_is_held_to_its_quota_and_exported_as_cadvisor_counters() -> None:
    quota = CpuQuota(0.2)
    stop = threading.Event()
    registry = CollectorRegistry()
    quota.install(registry, stop)
    try:
        cpu, wall = time.process_time(), time.monotonic()
        burn_cpu(0.25, quota)
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    finally:
        stop.set()
    assert wall >= 0.25 / 0.2 * 0.8, f"0.25 s of CPU at 0.2 cores takes over a second, took {wall:.2f}s"
    assert quota.throttled_periods >= 5 and quota.throttled_s > 0.3
    assert quota.periods >= quota.throttled_periods
    text = generate_latest(registry).decode()
    assert f"container_cpu_cfs_throttled_periods_total {float(quota.throttled_periods)}" in text
    assert "container_cpu_cfs_periods_total" in text and "container_cpu_cfs_throttled_seconds_total" in text


def test_a_quota_needs_a_positive_limit() -> None:
    with pytest.raises(ValueError, match="positive limit"):
        CpuQuota(0.0)
