"""The watcher at fleet size: one ``andon watch`` scan of 1,000 services × 20 series (the issue's figure).

The fleet is :func:`bench.rca_scale.fleet` (15 s step, 5% noise, service ``s7`` stepping up on three series
six minutes before the scan), served from memory through a metrics source that slices the scan's half-hour
window, as Prometheus would answer it. The measured call is :meth:`bot.watch.Scanner.scan`: the ranking,
the sustain checks, the forecasts and the store writes (SQLite in the run's scratch directory); the
Prometheus round trips a live scan also makes are not in it."""

from __future__ import annotations

import time
from typing import Any

from bench.rca_scale import T0, fleet
from bench.result import BenchOptions, Result
from bench.system import median

__all__ = ["NAME", "run"]

NAME = "watch_scan"
TARGET_S = 5.0
"""The target: one scan of 1,000 services × 20 series in at most 5 s."""


class _Memory:
    """A metrics source over series already in memory: each call slices the asked window."""

    def __init__(self, series: list[Any]) -> None:
        self.series = series

    def candidate_series(self, start: float, end: float, step: float) -> list[Any]:
        from tools.sources.base import Series

        return [
            Series(
                s.labels,
                s.times[(s.times >= start) & (s.times <= end)],
                s.values[(s.times >= start) & (s.times <= end)],
            )
            for s in self.series
        ]

    def query_range(self, query: str, start: float, end: float, step: float) -> list[Any]:
        return []

    def query(self, query: str, at: float) -> list[Any]:
        return []


def _scan(options: BenchOptions, services: int, round_: int) -> tuple[float, list[str], int]:
    from bot.store import open_store
    from bot.watch import Scanner, WatchState

    store = open_store(None, options.workdir / f"watch-{services}-{round_}")
    try:
        scanner = Scanner(_Memory(fleet(services)), WatchState(store.db))
        started = time.perf_counter()
        report = scanner.scan(T0)
        seconds = time.perf_counter() - started
    finally:
        store.db.close()
    return seconds, sorted({w.service for w in report.warnings}), len(report.forecasts)


def run(options: BenchOptions) -> Result:
    services, repeats = 1000, options.pick(3, 1)
    scans = [_scan(options, services, r) for r in range(repeats)]
    seconds = median([s for s, _, _ in scans])
    _, warned, forecast = scans[0]
    right = warned == ["s7"]
    return Result(
        name=NAME,
        title="Watch scan at fleet size",
        measured="one Scanner.scan over a synthetic fleet (1,000 services × 20 series, a 30 min window at 15 s: "
        "121 points each; one faulty service), series in memory, state in SQLite; wall time of the scan",
        target=f"1,000 services × 20 series in ≤ {TARGET_S:g} s",
        runs=repeats,
        headline=f"{seconds:.2f} s; warned: {', '.join(warned) or 'none'}" + ("" if right else " (expected s7 alone)"),
        met=seconds <= TARGET_S and right,
        metrics={
            "seconds": round(seconds, 3),
            "services": services,
            "series": services * 20,
            "warned_services": warned,
            "forecasts": forecast,
            "right": right,
        },
        notes=["--quick: one scan"] if options.quick else [],
    )
