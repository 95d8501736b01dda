"""The proactive watch: scans every service's metrics with the RCA engine between incidents and warns of
sustained bad changes and of resources about to run out, before any alert (docs/watch.md)."""

from bot.watch.loop import watch_forever
from bot.watch.params import WatchParams, watch_params
from bot.watch.records import EarlyWarning, Forecast, ScanReport
from bot.watch.scanner import Scanner
from bot.watch.state import WatchState

__all__ = [
    "EarlyWarning",
    "Forecast",
    "ScanReport",
    "Scanner",
    "WatchParams",
    "WatchState",
    "watch_forever",
    "watch_params",
]
