"""Calls between lab services over loopback HTTP (round-robin over replicas, one retry on a refused
connection, upstream metrics, the service's outbound network path with its added latency, slow calls
logged), and the client-side database connection pool."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from evals.lab.services.runtime import BusyClock, Endpoints

__all__ = ["CallError", "Downstream", "ConnectionPool", "PoolTimeout", "LATENCY_BUCKETS"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0)
SLOW_CALL_S = 0.5
"""A call slower than this is logged (at most once a second per dependency), as HTTP clients do."""


class CallError(Exception):
    """A failed call to another service: its HTTP status (0 when it never answered) and why."""

    def __init__(self, upstream: str, status: int, reason: str) -> None:
        super().__init__(reason)
        self.upstream = upstream
        self.status = status


class Downstream:
    """JSON-over-HTTP calls to the other services, measured per upstream. ``link_delay`` is the latency
    the service's outbound network path adds to every call (the slow-network fault); ``on_slow`` hears
    about slow calls."""

    def __init__(self, endpoints: Endpoints, registry: CollectorRegistry,
                 link_delay: Callable[[], float] | None = None, on_slow: Callable[[str], None] | None = None) -> None:
        self.endpoints = endpoints
        self.link_delay = link_delay
        self.on_slow = on_slow
        self._slow_logged: dict[str, float] = {}
        self.requests = Counter("lab_upstream_requests", "Calls to dependencies by outcome",
                                ["upstream", "outcome"], registry=registry)
        self.duration = Histogram("lab_upstream_request_duration_seconds", "Latency of calls to dependencies",
                                  ["upstream"], buckets=LATENCY_BUCKETS, registry=registry)

    def call(self, upstream: str, method: str, path: str, body: Any = None, timeout_s: float = 3.0) -> Any:
        started = time.monotonic()
        delay = self.link_delay() if self.link_delay else 0.0
        if delay > 0:
            time.sleep(delay * random.uniform(0.8, 1.2))
        try:
            status, payload = self._send(upstream, method, path, body, timeout_s)
        except CallError:
            self.requests.labels(upstream, "error").inc()
            self.duration.labels(upstream).observe(time.monotonic() - started)
            raise
        elapsed = time.monotonic() - started
        self.duration.labels(upstream).observe(elapsed)
        if elapsed > SLOW_CALL_S and self.on_slow and time.monotonic() - self._slow_logged.get(upstream, 0.0) >= 1.0:
            self._slow_logged[upstream] = time.monotonic()
            self.on_slow(f"call to {upstream} {method} {path} took {elapsed * 1000:.0f} ms")
        self.requests.labels(upstream, "error" if status >= 500 else "ok").inc()
        if status >= 400:
            reason = payload.get("error", "") if isinstance(payload, dict) else ""
            raise CallError(upstream, status, f"{upstream} answered {status}: {reason}".rstrip(": "))
        return payload

    def _send(self, upstream: str, method: str, path: str, body: Any, timeout_s: float) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (0, 1):
            port = self.endpoints.next_port(upstream)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
            try:
                connection.request(method, path, body=data, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                raw = response.read()
                try:
                    return response.status, json.loads(raw) if raw else {}
                except ValueError:
                    return response.status, {"error": raw[:200].decode("utf-8", "replace")}
            except TimeoutError as exc:
                raise CallError(upstream, 0, f"{upstream} timed out after {timeout_s:.1f}s") from exc
            except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected) as exc:
                if attempt == 0:
                    time.sleep(0.15)
                    continue
                raise CallError(upstream, 0, f"{upstream} unreachable: connection refused") from exc
            except OSError as exc:
                raise CallError(upstream, 0, f"{upstream} unreachable: {exc}") from exc
            finally:
                connection.close()
        raise CallError(upstream, 0, f"{upstream} unreachable")  # pragma: no cover - the loop returns or raises


class PoolTimeout(Exception):
    """No database connection became free within the acquire timeout."""


class ConnectionPool:
    """A fixed number of database connections; callers wait (up to a timeout) for a free one.

    ``leak=True`` models the bug where an error path never returns its connection."""

    def __init__(self, size: int, registry: CollectorRegistry, acquire_timeout_s: float = 1.0) -> None:
        self.size = size
        self.acquire_timeout_s = acquire_timeout_s
        self._free = threading.Semaphore(size)
        self._lock = threading.Lock()
        self.in_use = 0
        self.leaked = 0
        Gauge("lab_db_pool_size", "Connections in the pool", registry=registry).set(size)
        Gauge("lab_db_pool_in_use", "Connections checked out", registry=registry).set_function(lambda: self.in_use)
        self.busy = BusyClock("lab_db_pool_in_use_seconds", "Connection-seconds checked out (rate: mean in use)",
                              registry)
        self.wait = Histogram("lab_db_pool_wait_seconds", "Time waiting to acquire a connection",
                              buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0), registry=registry)

    @contextmanager
    def connection(self, leak: bool = False) -> Iterator[None]:
        started = time.monotonic()
        acquired = self._free.acquire(timeout=self.acquire_timeout_s)
        waited = time.monotonic() - started
        self.wait.observe(waited)
        if not acquired:
            raise PoolTimeout(f"timeout acquiring connection from pool db ({self.in_use}/{self.size} in use) "
                              f"after {waited:.1f}s")
        with self._lock:
            self.in_use += 1
            self.busy.change(+1)
        try:
            yield
        finally:
            if leak:
                with self._lock:
                    self.leaked += 1
            else:
                with self._lock:
                    self.in_use -= 1
                    self.busy.change(-1)
                self._free.release()
