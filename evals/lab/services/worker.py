"""The worker: consumer threads taking order events off the db's queue and processing them."""

from __future__ import annotations

import threading
import time
from typing import Any

from evals.lab.services.base import LabService
from evals.lab.services.calls import CallError
from evals.lab.topology import QUEUE

__all__ = ["Worker"]

THREADS = 2
PROCESS_S = 0.02
"""Normal time to process one message (sending the order confirmation)."""
BATCH = 5
"""Messages taken per poll, like a Kafka consumer's ``max.poll.records``."""
POLL_S = 0.5
"""Pause after an empty poll: the queue always holds a little, as real consumer lag does."""


class Worker(LabService):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.processed = self.telemetry.message_processing(QUEUE)
        """Records each message's processing time (``messaging.process.duration``)."""

    def start_background(self) -> None:
        for index in range(THREADS):
            threading.Thread(target=self._consume, name=f"consumer-{index}", daemon=True).start()

    def _consume(self) -> None:
        done = 0
        while not self._stop.is_set():
            try:
                answer = self.downstream.call(
                    "db", "POST", "/queue/consume", {"queue": QUEUE, "max": BATCH}, timeout_s=2.0
                )
            except CallError as exc:
                self.log.error(f"cannot consume from {QUEUE}: {exc}")
                self._stop.wait(1.0)
                continue
            messages = answer.get("messages", []) if isinstance(answer, dict) else []
            if not messages:
                self._stop.wait(POLL_S)
                continue
            started = time.monotonic()
            for _message in messages:
                slow = self.state.env("process_s")
                took = (slow or PROCESS_S) * self.rng.uniform(0.8, 1.2)
                time.sleep(took)
                self.processed(took)
            done += len(messages)
            took = (time.monotonic() - started) / len(messages)
            if took > 0.25 and done % 10 < len(messages):
                self.log.warning(f"order confirmation took {took * 1000:.0f} ms: mail relay answering slowly")
            elif done % 50 < len(messages):
                self.log.info(f"processed {done} order events", order=messages[0].get("payload"))
