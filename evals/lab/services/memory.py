"""Memory in a lab process: its resident size and the memory-leak fault — a session cache that never evicts.

The leak keeps real Python objects (small dicts holding a serialized blob), so it behaves as a leak in
a Python service does: resident memory climbs at the rate the fault asks for, and the cyclic garbage
collector works harder and pauses longer as the heap of tracked objects grows — until the process
passes its memory limit and the supervisor OOM-kills it.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

__all__ = ["SessionCache", "leak_warning", "resident_mb"]


def resident_mb(pid: int | str = "self") -> float:
    """Resident memory of process ``pid`` (this one by default), in MB; 0 when it cannot be read."""
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):
        return 0.0


class SessionCache:
    """Sessions kept for ever: :meth:`grow` adds sessions until resident memory has grown ``mb_per_s``
    since the previous call, so the leak's rate does not depend on how large a session turns out to be."""

    BATCH = 200

    def __init__(self) -> None:
        self.sessions: list[dict[str, Any]] = []
        self._target: float | None = None
        self._at = 0.0

    def grow(self, mb_per_s: float, now: float | None = None) -> int:
        """Leak for the time since the last call; returns how many sessions were added."""
        now = time.monotonic() if now is None else now
        if self._target is None:
            self._target, self._at = resident_mb(), now
            return 0
        self._target += mb_per_s * max(now - self._at, 0.0)
        self._at = now
        added = 0
        while resident_mb() < self._target and added < 200_000:
            start = len(self.sessions)
            self.sessions.extend(_session(start + i) for i in range(self.BATCH))
            added += self.BATCH
        return added

    def pause(self) -> None:
        """Stop leaking (what was leaked stays)."""
        self._target = None

    def clear(self) -> None:
        self.sessions.clear()
        self._target = None


def leak_warning(sessions: int, resident: float) -> str:
    """What the leaking cache logs as it grows."""
    return f"session cache holds {sessions} sessions ({resident:.0f} MB resident); no eviction configured"


def _session(n: int) -> dict[str, Any]:
    return {
        "id": f"sess-{n:09d}",
        "user": f"user-{n % 7919}",
        "cart": [{"sku": f"sku-{n % 97}", "qty": 1 + n % 3}],
        "created": time.time(),
        "token": f"{random.getrandbits(128):032x}",
        "blob": os.urandom(16) * 64,
    }
