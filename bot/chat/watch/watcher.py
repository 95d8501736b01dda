"""The watch inside ``andon serve`` (``ANDON_WATCH=1``): a daemon thread that scans every
``ANDON_WATCH_INTERVAL_S`` seconds and tells what it finds in the incident channel. With several replicas only
one watches at a time: it holds a lease in the store (``claim``, renewed by ``held``); when its process dies,
another replica takes the lease over one lease later, and the cooldowns in the store keep it from repeating
what was already told."""

from __future__ import annotations

import logging
import threading

from bot.chat.deps import ChatDeps
from bot.chat.watch.threads import WarningThreads
from bot.runtime import rca_params
from bot.settings import Settings
from bot.store.leases import held
from bot.watch import Scanner, WatchState, watch_forever, watch_params

__all__ = ["Watcher", "start_watcher", "LEASE_KEY", "lease_seconds"]

log = logging.getLogger(__name__)
LEASE_KEY = "watch:leader"


def lease_seconds(interval_s: float) -> float:
    """Three scan intervals, at least 30 s: a live holder renews every third of it, so a slow scan never
    loses the lease, and a dead holder's is taken over within about a lease."""
    return max(3.0 * interval_s, 30.0)


class Watcher:
    """The running watch thread; :meth:`stop` ends it after the scan in progress."""

    def __init__(self, deps: ChatDeps, scanner: Scanner, interval_s: float) -> None:
        self.deps = deps
        self.scanner = scanner
        self.interval_s = interval_s
        self.threads = WarningThreads(deps)
        self.stopped = threading.Event()
        self.leading = threading.Event()
        """Set while this replica holds the lease and scans."""
        self._thread = threading.Thread(target=self._run, name="andon-watch", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()

    def _run(self) -> None:
        store, lease = self.deps.store, lease_seconds(self.interval_s)
        while not self.stopped.is_set():
            try:
                claimed = store.claim(LEASE_KEY, lease)
            except Exception:  # noqa: BLE001 — a store that does not answer now may answer later
                log.warning("the watch could not ask for its lease", exc_info=True)
                claimed = False
            if not claimed:
                self.stopped.wait(lease / 3)
                continue
            log.info("this replica watches (lease %s)", LEASE_KEY)
            self.leading.set()
            try:
                with held(store, LEASE_KEY, lease):
                    watch_forever(
                        self.scanner, self.interval_s, self.threads.publish, self.stopped, clock=self.deps.clock
                    )
            finally:
                self.leading.clear()


def start_watcher(settings: Settings, deps: ChatDeps) -> Watcher | None:
    """Start the watch when ``settings.watch`` is on (and a metrics source is configured); None otherwise.
    Never raises: a watch that cannot start is logged, and serving goes on without it."""
    if not settings.watch:
        return None
    try:
        if deps.sources.metrics is None:
            log.warning("ANDON_WATCH is on but no metrics source is configured: not watching")
            return None
        # the call graph is read by the first scan that can (Prometheus may be down as the server starts)
        scanner = Scanner(
            deps.sources.metrics,
            WatchState(deps.store.db),
            rca_params(settings),
            watch_params(settings),
            deps.sources.call_graph,
        )
        return Watcher(deps, scanner, settings.watch_interval_s).start()
    except Exception:  # noqa: BLE001
        log.exception("the watch could not start; serving without it")
        return None
