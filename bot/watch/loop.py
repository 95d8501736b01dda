"""The watch loop: scan every ``interval_s`` seconds until told to stop, handing each report on."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.watch.records import ScanReport
from bot.watch.scanner import Scanner

__all__ = ["watch_forever"]

log = logging.getLogger(__name__)


def watch_forever(
    scanner: Scanner,
    interval_s: float,
    emit: Callable[[ScanReport], None],
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.time,
) -> None:
    """Scan, emit, wait out the rest of the interval; return once ``stop`` is set. A scan that fails for a
    reason other than the source (the source's own failures are blindness, reported by the scan) is logged,
    and the loop goes on."""
    stop = stop or threading.Event()
    while not stop.is_set():
        began = clock()
        try:
            emit(scanner.scan(began))
        except Exception:  # noqa: BLE001 — one broken scan must not end the watch
            log.exception("watch scan failed")
        stop.wait(max(interval_s - (clock() - began), 0.0))
