"""``andon demo --watch``: the proactive watch running beside the demo's experiments, over the lab's metrics,
to measure how long before Alertmanager's page it warned — ``early_warning_lead_s``, seconds from the first
early warning to the page (positive: the watch was earlier).

The watch scans on a thread of its own every ``interval_s`` seconds (the lab's scrape interval by default: the
lab runs alerting on a compressed clock — 2 s scrapes, 6 s ``for:`` — so the watch scans at the lab's pace too,
as ``andon serve`` would scan a production Prometheus every two 15 s scrapes). It reads what investigations
read (the lab's metrics since its epoch, at the lab's resolution) and keeps its state in a throwaway store,
started afresh for each fault, and scanning from the experiment's epoch (where its data begins, as an
investigation's does: before it the lab is still settling from the last heal's restarts).

How its sightings are scored against a fault (its lead over the page, false warnings, forecasts' accuracy) is
``evals.cli.demo_watch_scoring``; this module re-exports it."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.watch import Scanner, ScanReport, WatchParams, WatchState
from evals.cli.demo_watch_scoring import (
    ONSET_SLACK_S,
    blast_radius,
    forecast_accuracy,
    lead_summary,
    lead_table,
    watch_outcome,
)
from tools.sources.base import Series

__all__ = [
    "DemoWatch",
    "Sighting",
    "watch_outcome",
    "forecast_accuracy",
    "lead_summary",
    "lead_table",
    "blast_radius",
    "ONSET_SLACK_S",
]


@dataclass(frozen=True)
class Sighting:
    """The first time the watch told one warning or forecast (when its scan finished: when a card would go out)."""

    key: str
    service: str
    text: str
    at: float
    since: float | None
    """The change point of a warning; None for a forecast."""
    forecast: bool
    seconds_to_full: float | None = None
    metric: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    capacity: float | None = None
    predicted_full_at: float | None = None
    """A forecast's projection: the scan's time plus its time to full."""


@dataclass
class DemoWatch:
    """The watch thread of one demo. :meth:`reset` before each fault, :meth:`sightings` after it."""

    metrics: Any
    params: Any = None
    interval_s: float = 2.0
    topology: dict[str, list[str]] | Callable[[], dict[str, list[str]]] | None = None
    on_sighting: Callable[[Sighting], None] | None = None
    clock: Callable[[], float] = time.time
    scans: int = 0
    blind_scans: int = 0
    scan_seconds: list[float] = field(default_factory=list)
    """How long each scan since the last :meth:`reset` took (what a warning waits for, on top of the interval)."""
    not_before: float = 0.0
    """No scan before this time (the experiment's epoch): :meth:`reset` sets it."""
    _sightings: dict[str, Sighting] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _scanner: Scanner | None = None
    _tmp: tempfile.TemporaryDirectory[str] | None = None
    _store: Any = None
    _recording: _Recording = field(init=False)

    def __post_init__(self) -> None:
        self._recording = _Recording(self.metrics)

    def start(self, not_before: float = 0.0) -> DemoWatch:
        self._tmp = tempfile.TemporaryDirectory(prefix="andon-demo-watch-")
        self.reset(not_before)
        self._thread = threading.Thread(target=self._run, name="andon-demo-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._lock:
            if self._store is not None:
                self._store.db.close()
                self._store = None
        if self._tmp is not None:
            self._tmp.cleanup()

    def reset(self, not_before: float = 0.0) -> None:
        """Forget everything: a fresh store (no cooldowns from the last fault) and no sightings; scan again from
        ``not_before`` (the next experiment's epoch)."""
        from bot.store import open_store

        assert self._tmp is not None, "start() first"
        with self._lock:
            if self._store is not None:
                self._store.db.close()
            self._store = open_store(None, Path(self._tmp.name) / f"state-{time.monotonic_ns()}")
            self._scanner = Scanner(
                self._recording, WatchState(self._store.db), self.params, WatchParams(), self.topology
            )
            self._sightings = {}
            self.scan_seconds = []
            self.not_before = not_before

    def sightings(self) -> list[Sighting]:
        with self._lock:
            return sorted(self._sightings.values(), key=lambda s: s.at)

    def series(self) -> list[Series]:
        """The series of the latest scan (since the lab's epoch: the whole experiment, for a forecast's check)."""
        with self._lock:
            return list(self._recording.latest)

    def _run(self) -> None:
        while not self._stop.is_set():
            began = self.clock()
            with self._lock:
                try:
                    ready = self._scanner is not None and began >= self.not_before
                    report = self._scanner.scan(began) if ready and self._scanner is not None else None
                except Exception:  # noqa: BLE001 — one failed scan is a scan without findings
                    report = None
                if report is not None:
                    self._note(report, self.clock())
            self._stop.wait(max(self.interval_s - (self.clock() - began), 0.0))

    def _note(self, report: ScanReport, done_at: float) -> None:
        self.scans += 1
        self.blind_scans += bool(report.blind)
        self.scan_seconds.append(report.seconds)
        fresh = []
        for warning in report.warnings:
            if warning.key not in self._sightings:
                fresh.append(Sighting(warning.key, warning.service, warning.describe(), done_at, warning.since, False))
        for forecast in report.forecasts:
            if forecast.key not in self._sightings:
                fresh.append(
                    Sighting(
                        forecast.key,
                        forecast.service,
                        forecast.describe(),
                        done_at,
                        None,
                        True,
                        forecast.seconds_to_full,
                        forecast.metric,
                        dict(forecast.labels),
                        forecast.capacity,
                        report.at + forecast.seconds_to_full,
                    )
                )
        for sighting in fresh:
            self._sightings[sighting.key] = sighting
            if self.on_sighting is not None:
                with suppress(Exception):  # printing is never worth the watch
                    self.on_sighting(sighting)


class _Recording:
    """The lab's metrics source, keeping the series of the latest scan."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.latest: list[Series] = []

    def candidate_series(self, start: float, end: float, step: float) -> list[Series]:
        self.latest = list(self.inner.candidate_series(start, end, step))
        return self.latest

    def query_range(self, query: str, start: float, end: float, step: float) -> list[Series]:
        return list(self.inner.query_range(query, start, end, step))

    def query(self, query: str, at: float) -> list[Series]:
        return list(self.inner.query(query, at))
