"""The HTTP server: ``POST /slack/events`` (Events API, interactivity and slash commands, signature always
verified by Bolt), ``POST /alertmanager``, ``GET /healthz``, ``GET /readyz`` (the store and the telemetry
backends answer) and ``GET /metrics`` — on one threaded server.

Handlers acknowledge at once (Bolt acks events before listeners run; investigations go to a worker
pool), so a burst of requests is answered quickly.

The edge is defended before anything is parsed: a body needs a valid ``Content-Length`` no larger than
``MAX_BODY`` (chunked bodies are refused), every socket read has a deadline, connections beyond
``MAX_CONNECTIONS`` are refused at once, and the alert webhook wants the configured bearer token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.readiness import Readiness
from bot.slack.desk import Desk

__all__ = ["AndonHTTPServer", "SLACK_PATH"]

log = logging.getLogger(__name__)
SLACK_PATH = "/slack/events"
MAX_BODY = 5 * 1024 * 1024
WEBHOOKS = ("/alertmanager", "/grafana", "/pagerduty", "/opsgenie")
"""Alertmanager and Grafana (unified alerting) post the same webhook shape; PagerDuty posts v3 events."""
SOCKET_TIMEOUT_S = 15.0
"""A client gets this long for each read (headers, body, the next request on a kept-alive connection)."""
MAX_DEPTH = 32
"""Nesting a webhook payload may have; real ones (Alertmanager, Grafana, PagerDuty) stay under 8."""
WEBHOOK_RATE = (50.0, 200.0)
"""Alert webhooks a client address may send: per second sustained, and in one burst (Alertmanager sends
a group's notifications far below this; a flood beyond it gets 429 with Retry-After)."""
REPLAY_WINDOW_S = 600.0
"""How long a signed Slack request's key is kept: longer than the five minutes its signature is valid."""
MAX_CONNECTIONS = 256
"""Connections served at once; one thread each. Beyond it a connection is closed unanswered."""


class AndonHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, address: tuple[str, int], desk: Desk, app: App | None, webhook_token: str = "",
                 signing_secret: str = "", pagerduty_secret: str = "") -> None:
        """``app`` is None in Socket Mode, where Slack traffic arrives over the WebSocket instead.
        With a ``webhook_token``, ``/alertmanager`` answers 401 to requests without it. With a
        ``signing_secret``, Slack requests are verified before Bolt parses them."""
        super().__init__(address, _Handler)
        self.desk = desk
        self.app = app
        self.webhook_token = webhook_token
        self.pagerduty_secret = pagerduty_secret
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.webhook_limit = TokenBuckets(*WEBHOOK_RATE)
        self._pruned_at = 0.0
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.readiness = Readiness(desk.services.store, desk.services.sources)

    def prune_due(self, every_s: float = 60.0) -> bool:
        """True at most once every ``every_s`` seconds (old replay keys are dropped then)."""
        now = time.monotonic()
        if now - self._pruned_at < every_s:
            return False
        self._pruned_at = now
        return True

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            log.warning("refused a connection from %s: %d connections open", client_address[0], MAX_CONNECTIONS)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class TokenBuckets:
    """A token bucket per key (a client address): ``rate`` tokens a second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when a token was taken; otherwise the seconds until one will be there."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 10_000:  # forget idle addresses rather than grow without bound
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
            return (1.0 - tokens) / self.rate


class _Handler(BaseHTTPRequestHandler):
    server: AndonHTTPServer
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT_S
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

    def _refuse(self, status: int, error: str) -> None:
        """Answer and close: what is left of the request on the socket is never read."""
        self.close_connection = True
        self._json(status, {"error": error})

    def _body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding"):
            self._refuse(411, "chunked bodies are not accepted: send Content-Length")
            return None
        raw = (self.headers.get("Content-Length") or "0").strip()
        if not raw.isdigit():
            self._refuse(400, f"invalid Content-Length: {raw[:40]!r}")
            return None
        length = int(raw)
        if length > MAX_BODY:
            self._refuse(413, f"request body too large: {length} bytes (at most {MAX_BODY})")
            return None
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            self.close_connection = True
            return None  # the client went away mid-body: nothing to answer
        return body

    def _pagerduty_signed(self, body: bytes) -> bool:
        """PagerDuty v3 webhooks: ``X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body>`` (several,
        comma-separated, while a secret rotates). Without a configured secret, the bearer token rule applies."""
        secret = self.server.pagerduty_secret
        if not secret:
            return self._webhook_allowed()
        expected = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        given = [s.strip() for s in (self.headers.get("X-PagerDuty-Signature") or "").split(",")]
        return any(hmac.compare_digest(expected.encode(), s.encode()) for s in given if s)

    def _webhook_allowed(self) -> bool:
        token = self.server.webhook_token
        if not token:
            return True
        scheme, _, credentials = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "basic":
            try:
                credentials = base64.b64decode(credentials, validate=True).decode().partition(":")[2]
            except ValueError:
                credentials = ""
        elif scheme.lower() != "bearer":
            credentials = ""
        return hmac.compare_digest(credentials.strip().encode(), token.encode())

    def do_GET(self) -> None:  # noqa: N802 — the stdlib's name
        path = urlsplit(self.path).path
        if path == "/healthz":
            self._json(200, {"ok": True, "mode": "http" if self.server.app is not None else "socket"})
        elif path == "/readyz":
            ready, checks = self.server.readiness.check()
            self._json(200 if ready else 503, {"ready": ready, "checks": checks})
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
        elif parts.path in WEBHOOKS:
            wait = self.server.webhook_limit.take(self.client_address[0])
            if wait > 0:
                self._send(429, json.dumps({"error": "too many webhook requests from this address"}),
                           headers={"Retry-After": str(max(1, math.ceil(wait)))})
            elif parts.path == "/pagerduty" and not self._pagerduty_signed(body):
                self._json(401, {"error": "missing or wrong X-PagerDuty-Signature"})
            elif parts.path != "/pagerduty" and not self._webhook_allowed():
                self._json(401, {"error": "missing or wrong webhook token (Authorization: Bearer ...)"})
            else:
                self._webhook(body)
        else:
            self._json(404, {"error": f"no such path: {parts.path}"})

    def _slack(self, body: bytes, query: str) -> None:
        assert self.server.app is not None
        verifier = self.server.verifier
        timestamp = self.headers.get("X-Slack-Request-Timestamp") or ""
        signature = self.headers.get("X-Slack-Signature") or ""
        if verifier is not None:
            if not timestamp.isdigit() or not verifier.is_valid(body, timestamp, signature):
                self._json(401, {"error": "invalid or expired Slack signature"})
                return  # nothing of an unsigned body is parsed
            store = self.server.desk.services.store
            if not store.first_time(f"slack:request:{signature}"):
                self._json(200, {"ok": True, "duplicate": True})
                return  # the same signed bytes again (a replay): handled once
            if self.server.prune_due():  # a signature is only valid for five minutes: so is its key
                store.forget_keys("slack:request:", time.time() - REPLAY_WINDOW_S)
        headers: dict[str, str | Sequence[str]] = {name.lower(): [value] for name, value in self.headers.items()}
        params: dict[str, Sequence[str]] = dict(parse_qs(query))
        request = BoltRequest(body=body.decode("utf-8", errors="replace"), query=params, headers=headers)
        response = self.server.app.dispatch(request)
        content_type = (response.headers.get("content-type") or ["text/plain;charset=utf-8"])[0]
        self._send(response.status, response.body or "", content_type, response.headers)

    def _webhook(self, body: bytes) -> None:
        try:
            payload = json.loads(body or b"null")
        except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, nesting too deep
            self._json(400, {"error": f"invalid JSON: {str(exc)[:200]}"})
            return
        problem = _malformed(payload)
        if problem:
            self._json(400, {"error": problem})
            return
        try:
            status, result = self.server.desk.alerts.receive(payload)
        except Exception:
            log.exception("alertmanager webhook failed")
            status, result = 500, {"error": "the webhook could not be handled; see the server log"}
        self._json(status, result)


def _malformed(payload: Any) -> str | None:
    """What makes a parsed payload unusable downstream (too deep to walk, text that is not Unicode), or None."""
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"payload nested deeper than {MAX_DEPTH} levels"
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "payload holds text that is not valid Unicode (a lone surrogate escape)"
    return None
