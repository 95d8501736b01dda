"""What the watch is doing, read back from the store (so any replica, or a terminal, can answer): what it
watches, its latest scan, the warnings and forecasts it holds open now, and each service's use of the
false-warning budget. ``/andon watch status`` shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.watch.budget import ServiceBudget, service_budgets
from bot.watch.params import WatchParams
from bot.watch.state import WarningThread, WatchState

__all__ = ["LiveItem", "WatchStatus", "watch_status", "STALE_INTERVALS", "LIVE_DETAILED"]

STALE_INTERVALS = 3.0
"""A latest scan older than this many intervals means nobody is scanning (the watcher stopped, or no replica
holds its lease): said, rather than shown as current."""


LIVE_DETAILED = 15
"""Open warnings whose thread and silence are looked up (the status lists this many; the rest are counted)."""


@dataclass(frozen=True)
class LiveItem:
    """One open warning or forecast, as the scan last saw it, and where it was told."""

    key: str
    detail: dict[str, Any]
    thread: WarningThread | None
    silenced_until: float | None

    @property
    def forecast(self) -> bool:
        return self.key.startswith("forecast:")


@dataclass(frozen=True)
class WatchStatus:
    enabled: bool
    """This process runs the watcher (``ANDON_WATCH``)."""
    interval_s: float
    watch: WatchParams
    now: float
    last_scan: dict[str, Any] | None
    """:meth:`ScanReport.summary` of the latest scan any replica made; None before the first."""
    blind: str | None
    live: list[LiveItem] = field(default_factory=list)
    budgets: list[ServiceBudget] = field(default_factory=list)
    dismissed: int = 0
    """Service signals called "not a problem" (ever: they stay dismissed)."""
    anomaly_threshold: float = 4.0

    @property
    def stale(self) -> bool:
        """No scan for a while: the latest one is older than :data:`STALE_INTERVALS` intervals."""
        at = float((self.last_scan or {}).get("at") or 0.0)
        return self.last_scan is None or self.now - at > STALE_INTERVALS * max(self.interval_s, 1.0)


def watch_status(
    state: WatchState, watch: WatchParams, now: float, *, enabled: bool, interval_s: float, anomaly_threshold: float
) -> WatchStatus:
    """The watch as the store knows it at ``now``."""
    live = []
    for index, (key, detail) in enumerate(state.open_items()):
        detailed = index < LIVE_DETAILED  # a fleet in trouble holds hundreds: look up what is shown
        live.append(
            LiveItem(
                key=key,
                detail=detail,
                thread=state.thread(key) if detailed else None,
                silenced_until=_future(state.silenced_until(key), now) if detailed else None,
            )
        )
    dismissals = state.dismissals()
    budgets = service_budgets(dismissals.values(), now, anomaly_threshold, watch)
    return WatchStatus(
        enabled=enabled,
        interval_s=interval_s,
        watch=watch,
        now=now,
        last_scan=state.last_scan(),
        blind=state.blind(),
        live=live,
        budgets=list(budgets.values()),
        dismissed=len(dismissals),
        anomaly_threshold=anomaly_threshold,
    )


def _future(at: float | None, now: float) -> float | None:
    return at if at is not None and at > now else None
