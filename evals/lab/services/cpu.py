"""CPU in a lab process: a CPU limit enforced the way the kernel's CFS bandwidth control enforces a
container's, and its counters kept as the kernel keeps a cgroup's ``cpu.stat`` (which the supervisor's
cAdvisor exports as ``container_cpu_cfs_*``).

Every ``PERIOD_S`` (a timer thread closes each period) the process may use ``limit × PERIOD_S``
seconds of CPU (``time.process_time``, all threads). Request work asks :meth:`CpuQuota.wait` before it runs and
between slices of a hot
loop; once the period's quota is used up it waits for the next period, and that period counts as
throttled. The scrape and the lab's admin endpoints are not held back, so a throttled replica still
answers Prometheus (a real one answers late; the lab's scrape interval is too short for that).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

__all__ = ["CpuQuota", "PERIOD_S", "SLICE_S", "STAT_EVERY_S", "burn_cpu", "read_cpu_stat"]

PERIOD_S = 0.1
"""The CFS period (the kernel's default, ``cpu.cfs_period_us`` = 100000)."""
SLICE_S = 0.005
"""How much CPU a hot loop burns between two looks at the quota."""
STAT_EVERY_S = 0.5
"""How often the counters are written to the pod's ``cpu.stat`` file."""


class CpuQuota:
    """CFS bandwidth control for this process: ``limit_cores`` of CPU per period, waited out when used up."""

    def __init__(
        self,
        limit_cores: float,
        period_s: float = PERIOD_S,
        clock: Callable[[], float] = time.monotonic,
        cpu_clock: Callable[[], float] = time.process_time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit_cores <= 0 or period_s <= 0:
            raise ValueError(f"a CPU quota needs a positive limit and period, got {limit_cores} cores per {period_s}s")
        self.quota_s = limit_cores * period_s
        self.period_s = period_s
        self.clock = clock
        self.cpu_clock = cpu_clock
        self.sleep = sleep
        self.periods = 0
        self.throttled_periods = 0
        self.throttled_s = 0.0
        self._lock = threading.Lock()
        self._period = -1
        self._period_cpu = 0.0
        self._throttled_now = False
        self._roll(self.clock())

    def _roll(self, now: float) -> None:
        """Start the period ``now`` falls in; account the one that ended (active when it used CPU)."""
        period = int(now // self.period_s)
        if period == self._period:
            return
        cpu = self.cpu_clock()
        if self._period >= 0 and cpu > self._period_cpu:
            self.periods += 1
            self.throttled_periods += self._throttled_now
        self._period, self._period_cpu, self._throttled_now = period, cpu, False

    def wait(self) -> float:
        """Block while this period's quota is used up; the seconds waited (0 when under the limit)."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                self._roll(now)
                if self.cpu_clock() - self._period_cpu < self.quota_s:
                    return waited
                self._throttled_now = True
                pause = (self._period + 1) * self.period_s - now
            pause = max(pause, 1e-4)
            self.sleep(pause)
            waited += pause
            with self._lock:
                self.throttled_s += pause

    def stat(self) -> dict[str, int]:
        """The counters as a cgroup's ``cpu.stat`` names them (``throttled_usec`` in microseconds)."""
        with self._lock:
            self._roll(self.clock())
            return {
                "nr_periods": self.periods,
                "nr_throttled": self.throttled_periods,
                "throttled_usec": int(self.throttled_s * 1e6),
            }

    def write_stat(self, path: Path) -> None:
        text = "".join(f"{key} {value}\n" for key, value in self.stat().items())
        partial = path.with_name(path.name + ".tmp")
        partial.write_text(text)
        partial.replace(path)

    def tick(self) -> None:
        """Close the period that just ended (the kernel's period timer)."""
        with self._lock:
            self._roll(self.clock())

    def install(self, stop: threading.Event, stat_file: Path | None = None) -> None:
        """Run the period timer until ``stop`` is set, writing the counters to ``stat_file`` as it goes."""

        def timer() -> None:
            written = 0.0
            while not stop.wait(self.period_s - self.clock() % self.period_s + 1e-4):
                self.tick()
                if stat_file is not None and self.clock() - written >= STAT_EVERY_S:
                    written = self.clock()
                    with suppress(OSError):  # the lab directory went away: the lab is shutting down
                        self.write_stat(stat_file)

        if stat_file is not None:
            stat_file.parent.mkdir(parents=True, exist_ok=True)
        threading.Thread(target=timer, name="cfs-period", daemon=True).start()


def read_cpu_stat(path: Path) -> dict[str, int]:
    """A ``cpu.stat`` file's counters; empty when there is none (yet)."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    out = {}
    for line in lines:
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            out[key] = int(value)
    return out


def burn_cpu(seconds: float, quota: CpuQuota | None = None) -> None:
    """Spin for ``seconds`` of this thread's CPU time, in slices that each wait for ``quota``."""
    deadline = time.thread_time() + seconds
    value = 0
    while (left := deadline - time.thread_time()) > 0:
        if quota is not None:
            quota.wait()
        stop = time.thread_time() + min(left, SLICE_S)
        while time.thread_time() < stop:
            for i in range(2000):
                value += i * i
