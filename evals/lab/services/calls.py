"""Calls between lab services over loopback HTTP (round-robin over replicas, one retry on a refused
connection, OpenTelemetry client metrics and the service graph, the service's outbound network path with its added
latency, slow calls
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

from evals.lab.services.runtime import Endpoints
from evals.lab.services.telemetry import Telemetry

__all__ = ["CallError", "Downstream", "ConnectionPool", "PoolTimeout"]

SLOW_CALL_S = 0.5
"""A call slower than this is logged (at most once a second per dependency), as HTTP clients do."""


class CallError(Exception):
    """A failed call to another service: its HTTP status (0 when it never answered) and why."""

    def __init__(self, upstream: str, status: int, reason: str) -> None:
        super().__init__(reason)
        self.upstream = upstream
        self.status = status


class Downstream:
    """JSON-over-HTTP calls to the other services, measured per upstream (``http.client.request.duration``
    and the service graph). ``link_delay`` is the latency the service's outbound network path adds to
    every call (the slow-network fault); ``on_slow`` hears about slow calls."""

    def __init__(
        self,
        endpoints: Endpoints,
        telemetry: Telemetry,
        link_delay: Callable[[], float] | None = None,
        on_slow: Callable[[str], None] | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.telemetry = telemetry
        self.link_delay = link_delay
        self.on_slow = on_slow
        self._slow_logged: dict[str, float] = {}

    def call(self, upstream: str, method: str, path: str, body: Any = None, timeout_s: float = 3.0) -> Any:
        started = time.monotonic()
        delay = self.link_delay() if self.link_delay else 0.0
        if delay > 0:
            time.sleep(delay * random.uniform(0.8, 1.2))
        try:
            status, payload = self._send(upstream, method, path, body, timeout_s)
        except CallError as exc:
            error = (
                "timeout"
                if "timed out" in str(exc)
                else "connection_refused"
                if "refused" in str(exc)
                else "unreachable"
            )
            self.telemetry.client_request(upstream, method, exc.status, time.monotonic() - started, error)
            raise
        elapsed = time.monotonic() - started
        self.telemetry.client_request(upstream, method, status, elapsed)
        if elapsed > SLOW_CALL_S and self.on_slow and time.monotonic() - self._slow_logged.get(upstream, 0.0) >= 1.0:
            self._slow_logged[upstream] = time.monotonic()
            self.on_slow(f"call to {upstream} {method} {path} took {elapsed * 1000:.0f} ms")
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
    """A fixed number of database connections; callers wait (up to a timeout) for a free one. Measured as
    the conventions' ``db.client.connection.*`` (used and idle, the maximum, the time waited).

    ``leak=True`` models the bug where an error path never returns its connection."""

    def __init__(
        self, size: int, telemetry: Telemetry | None = None, acquire_timeout_s: float = 1.0, name: str = "db"
    ) -> None:
        self.size = size
        self.acquire_timeout_s = acquire_timeout_s
        self._free = threading.Semaphore(size)
        self._lock = threading.Lock()
        self.in_use = 0
        self.leaked = 0
        self._waited = (
            telemetry.connection_pool(name, size, lambda: self.in_use)
            if telemetry is not None
            else lambda seconds: None
        )

    @contextmanager
    def connection(self, leak: bool = False) -> Iterator[None]:
        started = time.monotonic()
        acquired = self._free.acquire(timeout=self.acquire_timeout_s)
        waited = time.monotonic() - started
        self._waited(waited)
        if not acquired:
            raise PoolTimeout(
                f"timeout acquiring connection from pool db ({self.in_use}/{self.size} in use) after {waited:.1f}s"
            )
        with self._lock:
            self.in_use += 1
        try:
            yield
        finally:
            if leak:
                with self._lock:
                    self.leaked += 1
            else:
                with self._lock:
                    self.in_use -= 1
                self._free.release()
