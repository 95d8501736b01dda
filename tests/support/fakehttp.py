"""A recording HTTP(S) server on 127.0.0.1 for tests: canned answers per (method, path), every request kept.

Used to replay backend wire formats (Loki, Kubernetes, a change feed, Prometheus' query API), to receive
webhooks, to serve a hand-written ``/metrics`` page that a real Prometheus scrapes, and as a forwarding proxy
(a ``fallback`` answer that relays every request).
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["RecordedRequest", "RecordingServer", "Reply", "recording_server"]


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass
class Reply:
    """An explicit answer: a status, a body (JSON-encoded unless str/bytes), a content type, extra headers."""

    body: Any = None
    status: int = 200
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


Answer = Any | Reply | Callable[[RecordedRequest], Any]

_NOT_FOUND = Reply(
    {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": "not found",
        "reason": "NotFound",
        "code": 404,
    },
    status=404,
)


@dataclass
class RecordingServer:
    """Routes ``(METHOD, /path)`` to answers; unknown routes get ``fallback`` (a Kubernetes-style 404 Status
    unless given)."""

    routes: dict[tuple[str, str], Answer] = field(default_factory=dict)
    fallback: Answer = field(default_factory=lambda: _NOT_FOUND)
    """The answer for any request no route names: a server that answers every path (a catch-all API, a proxy)."""
    requests: list[RecordedRequest] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, method: str, path: str, answer: Answer) -> None:
        self.routes[(method.upper(), path)] = answer

    @property
    def hostport(self) -> str:
        return self.url.split("://", 1)[1]

    def received(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if method in (None, r.method) and path in (None, r.path)]

    def answer(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
        answer = self.routes.get((request.method, request.path), self.fallback)
        if callable(answer):
            answer = answer(request)
        return answer if isinstance(answer, Reply) else Reply(answer)


def _handler_for(server: RecordingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = RecordedRequest(
                self.command,
                parts.path,
                parse_qs(parts.query, keep_blank_values=True),
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
            )
            reply = server.answer(request)
            if isinstance(reply.body, bytes):
                payload, kind = reply.body, reply.content_type or "application/octet-stream"
            elif isinstance(reply.body, str):
                payload, kind = reply.body.encode(), reply.content_type or "text/plain; charset=utf-8"
            else:
                payload, kind = json.dumps(reply.body).encode(), reply.content_type or "application/json"
            self.send_response(reply.status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def recording_server(
    routes: dict[tuple[str, str], Answer] | None = None,
    tls: ssl.SSLContext | None = None,
    *,
    fallback: Answer = _NOT_FOUND,
    port: int = 0,
) -> Iterator[RecordingServer]:
    """A started :class:`RecordingServer` on a free loopback port (or ``port``: a server that goes away and
    comes back where its clients expect it), shut down on exit; HTTPS with ``tls`` (a server-side context
    holding the certificate). ``fallback`` answers what no route names.

    A connection kept alive outlives the exit (its handler thread still answers on it): a test whose server
    must really go away answers with ``Reply(..., headers={"Connection": "close"})``."""
    server = RecordingServer(routes=dict(routes or {}), fallback=fallback)
    httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(server))
    httpd.daemon_threads = True
    if tls is not None:  # a client that rejects the certificate fails the accept, which the server ignores
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    server.url = f"{'https' if tls else 'http'}://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="recording-server", daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
