"""What Andon can see of the configured stack: each backend reached or not (with the error), the signal
profiles Prometheus speaks, the services and the signals found for each, and where the call graph comes
from. ``andon doctor`` prints it; nothing here changes anything."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from tools.redaction import redact
from tools.sources import Sources

__all__ = ["BackendCheck", "check_backends", "SIGNAL_WINDOW_S"]

SIGNAL_WINDOW_S = 900.0
"""Signals are looked for over the last 15 minutes: long enough for a rate over a slow scrape."""
SIGNAL_STEP_S = 60.0
"""At one-minute steps: the listing needs names, not shapes."""


@dataclass
class BackendCheck:
    name: str
    configured: bool
    reachable: bool = False
    error: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _probe(name: str, configured: bool, read: Callable[[], dict[str, Any]]) -> BackendCheck:
    check = BackendCheck(name, configured)
    if not configured:
        return check
    try:
        check.details = read()
        check.reachable = True
    except Exception as exc:  # noqa: BLE001 — any failure of a backend is what the doctor reports
        check.error = redact(f"{type(exc).__name__}: {exc}")[:500]
    return check


def _metrics(sources: Sources, configured_topology: bool) -> dict[str, Any]:
    from tools.sources.prometheus import PrometheusSource

    metrics = sources.metrics
    assert metrics is not None
    now = time.time()
    series = metrics.candidate_series(now - SIGNAL_WINDOW_S, now, SIGNAL_STEP_S)
    services: dict[str, set[str]] = {}
    for item in series:
        if item.service:
            services.setdefault(item.service, set()).add(item.name)
    details: dict[str, Any] = {"services": {s: sorted(n) for s, n in sorted(services.items())}}
    if isinstance(metrics, PrometheusSource):
        details["profiles"] = metrics.profiles.summary()
        origin, graph = ("settings", sources.topology) if configured_topology else metrics.profiles.topology()
        details["topology"] = {"from": origin, "edges": sum(len(v) for v in graph.values()), "graph": graph}
    return details


def check_backends(sources: Sources, configured_topology: bool = False) -> list[BackendCheck]:
    """One check per backend, in a fixed order; unconfigured ones are listed as such."""
    return [
        _probe("prometheus", sources.metrics is not None, lambda: _metrics(sources, configured_topology)),
        _probe("alertmanager", sources.alerts is not None, lambda: {"firing": len(sources.alerts.alerts())}),  # type: ignore[union-attr]
        _probe(
            "logs",
            sources.logs is not None,
            lambda: {"lines_last_5m": len(sources.logs.lines(time.time() - 300, time.time()))},  # type: ignore[union-attr]
        ),
        _probe("kubernetes", sources.kubernetes is not None, lambda: {"pods": len(sources.kubernetes.pods())}),  # type: ignore[union-attr]
        _probe(
            "changes",
            sources.changes is not None,
            lambda: {"last_24h": len(sources.changes.changes(time.time() - 86400, time.time()))},  # type: ignore[union-attr]
        ),
    ]
