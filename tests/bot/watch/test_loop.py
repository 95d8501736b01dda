"""The watch loop scans until told to stop, and one scan that breaks does not end it."""

from __future__ import annotations

import threading

from bot.watch import Scanner, ScanReport, WatchState, watch_forever
from tests.bot.watch.conftest import T0, FakeMetrics


class _Flaky(Scanner):
    def __init__(self, state: WatchState) -> None:
        super().__init__(FakeMetrics([]), state)
        self.calls = 0

    def scan(self, now: float) -> ScanReport:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("a broken scan")
        return ScanReport(at=now)


def test_the_loop_survives_a_broken_scan_and_stops_when_told(state: WatchState) -> None:
    scanner, stop, seen = _Flaky(state), threading.Event(), []

    def emit(report: ScanReport) -> None:
        seen.append(report)
        if len(seen) == 2:
            stop.set()

    watch_forever(scanner, 0.0, emit, stop=stop, clock=lambda: T0)

    assert scanner.calls == 3 and [r.at for r in seen] == [T0, T0]
