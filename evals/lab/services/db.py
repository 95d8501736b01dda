"""The database stand-in: a limited number of server connections, queries that take time, and the
``order-events`` queue (a one-partition topic) that checkout publishes to and the worker's consumer group
reads, exported in kafka_exporter's names: the topic's offset, the group's offset and its lag."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric

from evals.lab.services.base import HttpError, LabService, Request, Route
from evals.lab.topology import QUEUE

__all__ = ["Database"]

MAX_CONNECTIONS = 60
QUERY_S = (0.008, 0.03)
"""How long a query holds a connection (uniform between these, seconds)."""
CONSUMERS = {QUEUE: "worker"}
"""queue -> the consumer group reading it (the worker service)."""


class Database(LabService):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections = threading.Semaphore(MAX_CONNECTIONS)
        self._in_use = 0
        self._lock = threading.Lock()
        self.queues: dict[str, deque[tuple[float, Any]]] = {QUEUE: deque()}
        self.dead_letter: dict[str, int] = {}
        self.offsets = {queue: 0 for queue in self.queues}
        """Messages ever published to each queue (the partition's end offset)."""
        self.registry.register(_KafkaOffsets(self))

    def routes(self) -> dict[tuple[str, str], Route]:
        return {
            ("POST", "/query"): self.query,
            ("POST", "/queue/publish"): self.publish,
            ("POST", "/queue/consume"): self.consume,
            ("POST", "/queue/drain"): self.drain,
            ("GET", "/queue/stats"): self.stats,
        }

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
        self.offsets[queue] += 1
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
        return {"messages": out}

    def drain(self, request: Request) -> Any:
        queue = self._queue(request.body)
        target = str((request.body or {}).get("target") or "")
        with self._lock:
            count = len(self.queues[queue])
            self.queues[queue].clear()
        if target:
            self.dead_letter[target] = self.dead_letter.get(target, 0) + count
        self.log.warning(
            f"queue {queue} drained: {count} messages " + (f"moved to {target}" if target else "discarded")
        )
        return {"queue": queue, "drained": count, "target": target or None}

    def stats(self, request: Request) -> Any:
        return {
            q: {"depth": len(items), "oldest_age_s": round(self.oldest_age(q), 3), "consumer": CONSUMERS.get(q)}
            for q, items in self.queues.items()
        } | {"dead_letter": dict(self.dead_letter)}


class _KafkaOffsets:
    """The queue as kafka_exporter shows a topic: ``kafka_topic_partition_current_offset``,
    ``kafka_consumergroup_current_offset`` and ``kafka_consumergroup_lag`` (messages not yet consumed;
    a drained message counts as consumed, as a reset of the group's offset would)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> list[Metric]:
        end = GaugeMetricFamily(
            "kafka_topic_partition_current_offset",
            "Current Offset of a Broker at Topic/Partition",
            labels=["topic", "partition"],
        )
        group = GaugeMetricFamily(
            "kafka_consumergroup_current_offset",
            "Current Offset of a ConsumerGroup at Topic/Partition",
            labels=["consumergroup", "topic", "partition"],
        )
        lag = GaugeMetricFamily(
            "kafka_consumergroup_lag",
            "Current Approximate Lag of a ConsumerGroup at Topic/Partition",
            labels=["consumergroup", "topic", "partition"],
        )
        for queue, consumer in CONSUMERS.items():
            offset, waiting = self.db.offsets[queue], len(self.db.queues[queue])
            end.add_metric([queue, "0"], offset)
            group.add_metric([consumer, queue, "0"], offset - waiting)
            lag.add_metric([consumer, queue, "0"], waiting)
        return [end, group, lag]
