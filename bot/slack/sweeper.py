"""The recovery sweep: work a dead process left unfinished is looked for now and then, on the worker pool."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from bot.chat.deps import ChatDeps

__all__ = ["Sweeper", "RECOVERY_SWEEP_S"]

RECOVERY_SWEEP_S = 10.0
"""How often unfinished work whose holder died is looked for: a third of the resume lease, so a takeover
follows a death within about one lease and a third."""


class Sweeper:
    """Queues ``work`` on the worker pool now and every ``every_s`` seconds until stopped."""

    def __init__(self, deps: ChatDeps, work: Callable[[], Any], every_s: float) -> None:
        self._stop = threading.Event()

        def loop() -> None:
            while True:
                deps.submit(work)
                if self._stop.wait(every_s):
                    return

        threading.Thread(target=loop, name="andon-sweeper", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
