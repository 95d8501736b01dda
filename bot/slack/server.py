"""The HTTP server: ``POST /slack/events`` (Events API, interactivity and slash commands, signature checked
before Bolt parses anything), ``POST /alertmanager`` and the other alert webhooks, ``GET /healthz``,
``GET /readyz`` (the store and the telemetry backends answer) and ``GET /metrics`` — the Starlette app of
``bot.slack.edge`` on uvicorn, in a thread of its own with its own event loop.

Handlers acknowledge at once (a listener writes what must be durable, and the work goes to the worker
process or pool), so a burst of requests is answered quickly; the requests whose listener only writes are
answered on the event loop itself (``bot.slack.edge.events``).

The edge is defended before anything is parsed (``EdgeLimits``): bodies are bounded while they stream in
(``Content-Length`` or chunked), a ``Content-Length`` that is not a number gets 400, each request has a
read deadline, idle kept-alive connections are closed, connections beyond the limit get 503, and the
alert webhooks want the configured token."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any, cast

import uvicorn
from slack_bolt import App

from bot.chat.desk import Desk
from bot.readiness import Readiness
from bot.slack.edge.app import build_edge_app
from bot.slack.edge.events import SLACK_PATH, SlackEvents
from bot.slack.edge.limits import MAX_BODY, EdgeLimits
from bot.slack.edge.probes import Probes
from bot.slack.edge.protocol import DeadlineProtocol
from bot.slack.edge.ratelimit import WEBHOOK_RATE, TokenBuckets
from bot.slack.edge.webhooks import Webhooks

__all__ = ["AndonHTTPServer", "SLACK_PATH", "MAX_BODY", "EdgeLimits", "TokenBuckets"]

log = logging.getLogger(__name__)


class AndonHTTPServer:
    def __init__(
        self,
        address: tuple[str, int],
        desk: Desk,
        app: App | None,
        webhook_token: str = "",
        signing_secret: str = "",
        pagerduty_secret: str = "",
        limits: EdgeLimits | None = None,
    ) -> None:
        """``app`` is None in Socket Mode, where Slack traffic arrives over the WebSocket instead. With a
        ``webhook_token``, the alert webhooks answer 401 to requests without it. With a ``signing_secret``,
        Slack requests are verified before Bolt parses them. The socket is bound here (so ``url`` is known
        and a taken port fails the caller); ``start`` serves it."""
        self.limits = limits = limits or EdgeLimits()
        self.webhooks = Webhooks(desk.alerts, TokenBuckets(*WEBHOOK_RATE), webhook_token, pagerduty_secret)
        slack = (
            SlackEvents(app, desk.deps.store, signing_secret, command_at_once=desk.commands.at_once)
            if app is not None
            else None
        )
        probes = Probes(
            "http" if app is not None else "socket", Readiness(desk.deps.store, desk.deps.sources), desk.deps.metrics
        )
        self._socket = socket.create_server(address, backlog=limits.backlog)
        self.server_address: tuple[str, int] = self._socket.getsockname()[:2]
        asgi = build_edge_app(
            probes, self.webhooks, slack, limits.max_body, limits.max_header_bytes, threads=limits.max_connections
        )
        config = uvicorn.Config(
            asgi,
            http=cast(Any, self._protocol),
            loop="auto",  # uvloop when installed: a cheaper loop per request
            ws="none",
            lifespan="off",
            interface="asgi3",
            log_config=None,
            log_level=logging.WARNING,
            access_log=False,
            server_header=False,
            proxy_headers=False,
            backlog=limits.backlog,
            timeout_keep_alive=limits.keep_alive_s,
            timeout_graceful_shutdown=limits.shutdown_grace_s,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address
        return f"http://{host}:{port}"

    @property
    def webhook_limit(self) -> TokenBuckets:
        """The alert webhooks' per-address rate limit (replaceable, e.g. by a test with its own clock)."""
        return self.webhooks.limit

    @webhook_limit.setter
    def webhook_limit(self, buckets: TokenBuckets) -> None:
        self.webhooks.limit = buckets

    def _protocol(self, **kwargs: Any) -> asyncio.Protocol:
        return DeadlineProtocol(
            read_timeout_s=self.limits.read_timeout_s,
            max_connections=self.limits.max_connections,
            max_head_bytes=self.limits.max_header_bytes,
            **kwargs,
        )

    def start(self) -> None:
        """Serve on a thread of its own (``andon-http``) until ``shutdown``."""
        self._thread = threading.Thread(target=self._serve, name="andon-http", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException:  # SystemExit included: uvicorn exits on a start-up failure
            log.exception("the HTTP server stopped")

    def shutdown(self) -> None:
        """Stop accepting, give requests already in ``shutdown_grace_s`` to be answered, close every
        connection; returns within about that long. Calling it again does nothing."""
        self._server.should_exit = True
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.limits.shutdown_grace_s + 1.0)
            if self._thread.is_alive():
                log.warning("the HTTP server did not stop within %.0f s", self.limits.shutdown_grace_s + 1.0)
        self._socket.close()
