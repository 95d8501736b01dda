"""Readiness: can this replica do its job now? The incident store answers, and each configured telemetry
backend answers a cheap read. ``GET /readyz`` serves it (200 ready, 503 not) for a load balancer or a
Kubernetes readiness probe; results are kept briefly so probes never hammer the backends."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from bot.store.incidents import IncidentStore
from tools.redaction import redact
from tools.sources import Sources

__all__ = ["Readiness", "CACHE_S", "PROBE_QUERY"]

CACHE_S = 10.0
"""A verdict is reused this long: Kubernetes probes every 10 s by default, per replica."""
PROBE_QUERY = 'up{job="andon-readiness-probe"}'
"""A query every metrics source can answer and a real Prometheus answers cheaply (it matches nothing):
it proves the backend evaluates queries and accepts Andon's credentials."""


def _probes(store: IncidentStore, sources: Sources) -> dict[str, Callable[[], Any]]:
    probes: dict[str, Callable[[], Any]] = {"store": lambda: store.list(limit=1)}
    if sources.metrics is not None:
        metrics = sources.metrics
        probes["prometheus"] = lambda: metrics.query(PROBE_QUERY, time.time())
    if sources.alerts is not None:
        alerts = sources.alerts
        probes["alertmanager"] = alerts.silences
    return probes


class Readiness:
    def __init__(self, store: IncidentStore, sources: Sources, clock: Callable[[], float] = time.monotonic) -> None:
        self._probes = _probes(store, sources)
        self._clock = clock
        self._lock = threading.Lock()
        self._verdict: tuple[float, bool, dict[str, str]] | None = None

    def check(self) -> tuple[bool, dict[str, str]]:
        """(ready, name → "ok" or the error), read at most once per ``CACHE_S``."""
        with self._lock:
            if self._verdict is not None and self._clock() - self._verdict[0] < CACHE_S:
                return self._verdict[1], self._verdict[2]
            results: dict[str, str] = {}
            for name, probe in self._probes.items():
                try:
                    probe()
                    results[name] = "ok"
                except Exception as exc:  # noqa: BLE001 — any failure makes the replica not ready; say which
                    results[name] = redact(f"{type(exc).__name__}: {exc}")[:300]
            ready = all(value == "ok" for value in results.values())
            self._verdict = (self._clock(), ready, results)
            return ready, results
