"""The HTTP server: ``POST /slack/events`` (Events API, interactivity and slash commands, signature always
verified by Bolt), ``POST /alertmanager``, ``GET /healthz`` and ``GET /metrics`` — on one threaded server.

Handlers acknowledge at once (Bolt acks events before listeners run; investigations go to a worker
pool), so a burst of requests is answered quickly."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from slack_bolt import App, BoltRequest

from bot.slack.desk import Desk

__all__ = ["AndonHTTPServer", "SLACK_PATH"]

log = logging.getLogger(__name__)
SLACK_PATH = "/slack/events"
MAX_BODY = 5 * 1024 * 1024


class AndonHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, address: tuple[str, int], desk: Desk, app: App | None) -> None:
        """``app`` is None in Socket Mode, where Slack traffic arrives over the WebSocket instead."""
        super().__init__(address, _Handler)
        self.desk = desk
        self.app = app

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: AndonHTTPServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """Headers and body go out in two writes; with Nagle on, a kept-alive connection waits ~40 ms for the
    client's delayed ACK before the body leaves (measured by ``andon bench``)."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 — the stdlib's signature
        log.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: int, body: bytes | str, content_type: str = "application/json",
              headers: dict[str, Any] | None = None) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, values in (headers or {}).items():
            if name.lower() in ("content-length", "content-type"):
                continue
            for value in values if isinstance(values, list | tuple) else [values]:
                self.send_header(name, str(value))
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value))

    def _body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._json(413, {"error": "request body too large"})
            return None
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:  # noqa: N802 — the stdlib's name
        path = urlsplit(self.path).path
        if path == "/healthz":
            self._json(200, {"ok": True, "mode": "http" if self.server.app is not None else "socket"})
        elif path == "/metrics":
            body, content_type = self.server.desk.services.metrics.exposition()
            self._send(200, body, content_type)
        else:
            self._json(404, {"error": f"no such path: {path}"})

    def do_POST(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        body = self._body()
        if body is None:
            return
        if parts.path == SLACK_PATH and self.server.app is not None:
            self._slack(body, parts.query)
        elif parts.path == "/alertmanager":
            self._alertmanager(body)
        else:
            self._json(404, {"error": f"no such path: {parts.path}"})

    def _slack(self, body: bytes, query: str) -> None:
        assert self.server.app is not None
        headers: dict[str, str | Sequence[str]] = {name.lower(): [value] for name, value in self.headers.items()}
        params: dict[str, Sequence[str]] = dict(parse_qs(query))
        request = BoltRequest(body=body.decode("utf-8", errors="replace"), query=params, headers=headers)
        response = self.server.app.dispatch(request)
        content_type = (response.headers.get("content-type") or ["text/plain;charset=utf-8"])[0]
        self._send(response.status, response.body or "", content_type, response.headers)

    def _alertmanager(self, body: bytes) -> None:
        try:
            payload = json.loads(body or b"null")
        except json.JSONDecodeError as exc:
            self._json(400, {"error": f"invalid JSON: {exc}"})
            return
        try:
            status, result = self.server.desk.alerts.receive(payload)
        except Exception as exc:
            log.exception("alertmanager webhook failed")
            status, result = 500, {"error": str(exc)}
        self._json(status, result)
