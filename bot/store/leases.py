"""Holding a claimed key while work runs: a daemon thread renews it every third of the lease, so a live
holder never loses it and a dead one loses it one lease after its last renewal."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from bot.store.incidents import IncidentStore

__all__ = ["held"]

log = logging.getLogger(__name__)


@contextmanager
def held(store: IncidentStore, key: str, lease_s: float) -> Iterator[None]:
    """Renew ``key`` (already claimed with ``store.claim``) until the block ends."""
    done = threading.Event()

    def renew() -> None:
        while not done.wait(lease_s / 3):
            try:
                store.renew(key)
            except Exception:  # noqa: BLE001 — a renewal that failed is retried; the work goes on
                log.warning("could not renew the claim on %s", key, exc_info=True)

    thread = threading.Thread(target=renew, name=f"lease:{key[:40]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)
