"""A token bucket per client address: how the alert webhooks are kept from being flooded."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["TokenBuckets", "WEBHOOK_RATE"]

WEBHOOK_RATE = (50.0, 200.0)
"""Alert webhooks a client address may send: per second sustained, and in one burst (Alertmanager sends
a group's notifications far below this; a flood beyond it gets 429 with Retry-After)."""


class TokenBuckets:
    """A token bucket per key (a client address): ``rate`` tokens a second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when a token was taken; otherwise the seconds until one will be there."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 10_000:  # forget idle addresses rather than grow without bound
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
            return (1.0 - tokens) / self.rate
