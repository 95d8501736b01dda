"""A minimal Alertmanager webhook receiver on loopback: keeps every payload with the time it arrived,
so the demo (and tests) can wait for the page a fault causes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tools.sources.timespec import parse_instant

__all__ = ["AlertReceiver", "Delivery"]


@dataclass
class Delivery:
    received_at: float
    payload: dict[str, Any]

    @property
    def firing(self) -> list[dict[str, Any]]:
        return [a for a in self.payload.get("alerts", []) if a.get("status", "firing") == "firing"]

    def started_after(self, since: float) -> bool:
        """Whether a firing alert in it began at or after ``since`` (not a leftover of an earlier fault)."""
        for alert in self.firing:
            try:
                if parse_instant(alert.get("startsAt", "")) >= since:
                    return True
            except ValueError:
                continue
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    receiver: AlertReceiver


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        length = int(self.headers.get("Content-Length") or 0)
        try:
            payload = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            self.server.receiver.add(payload)
            self.send_response(200)
        else:
            self.send_response(400)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass


class AlertReceiver:
    """``with AlertReceiver(port) as receiver: receiver.wait(...)``; any POST path is accepted."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self._server = _Server((host, port), _Handler)
        self._server.receiver = self
        self.deliveries: list[Delivery] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="alert-receiver", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/alertmanager"

    def start(self) -> AlertReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> AlertReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add(self, payload: dict[str, Any]) -> None:
        with self._changed:
            self.deliveries.append(Delivery(time.time(), payload))
            self._changed.notify_all()

    def wait(self, accept: Callable[[Delivery], bool], timeout_s: float) -> Delivery | None:
        """The first delivery (already received or arriving within ``timeout_s``) that ``accept`` takes."""
        deadline = time.time() + timeout_s
        with self._changed:
            while True:
                for delivery in self.deliveries:
                    if accept(delivery):
                        return delivery
                remaining = deadline - time.time()
                if remaining <= 0:
                    return None
                self._changed.wait(min(remaining, 1.0))

    def first_page(self, since: float, timeout_s: float) -> Delivery | None:
        """The first firing notification for an alert that started at or after ``since``."""
        return self.wait(lambda d: d.received_at >= since and d.started_after(since - 1.0), timeout_s)
