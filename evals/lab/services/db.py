"""The database stand-in: a limited number of server connections, queries that take time, and the
``order-events`` queue that checkout publishes to and the worker consumes."""

from __future__ import annotations

import threading
import time
from collections import deque
from functools import partial
from typing import Any

from prometheus_client import Counter, Gauge

from evals.lab.services.base import HttpError, LabService, Request, Route
from evals.lab.topology import QUEUE

__all__ = ["Database"]

MAX_CONNECTIONS = 60
QUERY_S = (0.008, 0.03)
"""How long a query holds a connection (uniform between these, seconds)."""
CONSUMERS = {QUEUE: "worker"}
"""queue -> the service consuming it (the ``service`` its depth and lag are reported for)."""


class Database(LabService):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections = threading.Semaphore(MAX_CONNECTIONS)
        self._in_use = 0
        self._lock = threading.Lock()
        self.queues: dict[str, deque[tuple[float, Any]]] = {QUEUE: deque()}
        self.dead_letter: dict[str, int] = {}
        Gauge("lab_db_max_connections", "Server connections allowed", registry=self.registry).set(MAX_CONNECTIONS)
        Gauge("lab_db_connections_in_use", "Server connections busy",
              registry=self.registry).set_function(lambda: self._in_use)
        depth = Gauge("lab_queue_depth", "Messages waiting", ["queue", "consumer"], registry=self.registry)
        age = Gauge("lab_queue_oldest_age_seconds", "Age of the oldest waiting message", ["queue", "consumer"],
                    registry=self.registry)
        for queue, consumer in CONSUMERS.items():
            depth.labels(queue, consumer).set_function(partial(self.depth, queue))
            age.labels(queue, consumer).set_function(partial(self.oldest_age, queue))
        self.published = Counter("lab_queue_published", "Messages published", ["queue"], registry=self.registry)
        self.consumed = Counter("lab_queue_consumed", "Messages consumed", ["queue"], registry=self.registry)

    def routes(self) -> dict[tuple[str, str], Route]:
        return {("POST", "/query"): self.query, ("POST", "/queue/publish"): self.publish,
                ("POST", "/queue/consume"): self.consume, ("POST", "/queue/drain"): self.drain,
                ("GET", "/queue/stats"): self.stats}

    def depth(self, queue: str) -> float:
        return float(len(self.queues[queue]))

    def oldest_age(self, queue: str) -> float:
        items = self.queues[queue]
        try:
            return max(time.time() - items[0][0], 0.0)
        except IndexError:
            return 0.0

    def _queue(self, body: Any) -> str:
        name = str((body or {}).get("queue", QUEUE))
        if name not in self.queues:
            raise HttpError(404, f"no queue {name!r}")
        return name

    def query(self, request: Request) -> Any:
        if not self._connections.acquire(timeout=2.0):
            raise HttpError(503, f"too many clients: all {MAX_CONNECTIONS} connections busy")
        with self._lock:
            self._in_use += 1
        try:
            time.sleep(self.rng.uniform(QUERY_S[0], QUERY_S[1]))
            return {"rows": 1, "op": (request.body or {}).get("op")}
        finally:
            with self._lock:
                self._in_use -= 1
            self._connections.release()

    def publish(self, request: Request) -> Any:
        queue = self._queue(request.body)
        self.queues[queue].append((time.time(), (request.body or {}).get("payload")))
        self.published.labels(queue).inc()
        return {"queued": len(self.queues[queue])}

    def consume(self, request: Request) -> Any:
        queue = self._queue(request.body)
        wanted = max(1, min(int((request.body or {}).get("max", 1)), 50))
        out: list[dict[str, Any]] = []
        with self._lock:
            items = self.queues[queue]
            while items and len(out) < wanted:
                ts, payload = items.popleft()
                out.append({"ts": ts, "payload": payload})
        self.consumed.labels(queue).inc(len(out))
        return {"messages": out}

    def drain(self, request: Request) -> Any:
        queue = self._queue(request.body)
        target = str((request.body or {}).get("target") or "")
        with self._lock:
            count = len(self.queues[queue])
            self.queues[queue].clear()
        if target:
            self.dead_letter[target] = self.dead_letter.get(target, 0) + count
        self.log.warning(f"queue {queue} drained: {count} messages " + (f"moved to {target}" if target else "discarded"))
        return {"queue": queue, "drained": count, "target": target or None}

    def stats(self, request: Request) -> Any:
        return {q: {"depth": len(items), "oldest_age_s": round(self.oldest_age(q), 3),
                    "consumer": CONSUMERS.get(q)} for q, items in self.queues.items()} | {
            "dead_letter": dict(self.dead_letter)}
