"""The ASGI application: the routes, each a thin async shell that reads the body within its limit and runs
the blocking work (signature check, store writes, Bolt, the alert intake) on a thread pool, so the event
loop only ever moves bytes.

``POST /slack/events`` is the hot path (a burst of Slack requests must each be answered within Slack's
3 s, and in well under 100 ms): it is served by :class:`SlackEndpoint`, a bare ASGI endpoint in front of
Starlette's router and exception middleware, with the same head check, body limit and error answers; the
rest goes through Starlette."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.slack.edge.body import BodyRefused, read_body, receive_body
from bot.slack.edge.events import SLACK_PATH, SlackEvents
from bot.slack.edge.head import RequestHeadCheck, head_problem
from bot.slack.edge.probes import Probes
from bot.slack.edge.responses import error_response
from bot.slack.edge.webhooks import WEBHOOKS, Webhooks
from bot.store.group import GroupCommit

__all__ = ["build_edge_app", "WorkerThreads", "SlackEndpoint"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class WorkerThreads:
    """Runs blocking work on up to ``threads`` worker threads at once. As many as connections may be open
    (the thread-per-connection server before this one never queued): with fewer, slash commands waiting on
    their short answer budget would hold the pool and every other acknowledgement would queue behind them."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._limiter: anyio.CapacityLimiter | None = None  # made on the server's event loop, at first use

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        # abandoned on shutdown's cancellation: what it writes is durable, and the process is leaving
        return await anyio.to_thread.run_sync(func, *args, limiter=self._limiter, abandon_on_cancel=True)


def build_edge_app(
    probes: Probes, webhooks: Webhooks, slack: SlackEvents | None, max_body: int, max_header_bytes: int, threads: int
) -> ASGIApp:
    """``slack`` is None in Socket Mode: ``/slack/events`` is then not served (404). Blocking work runs on
    up to ``threads`` worker threads."""
    workers = WorkerThreads(threads)

    async def health(request: Request) -> Response:
        return probes.health()

    async def ready(request: Request) -> Response:
        return await workers.run(probes.ready)

    async def metrics(request: Request) -> Response:
        return await workers.run(probes.exposition)

    async def webhook(request: Request) -> Response:
        body = await read_body(request, max_body)
        client = request.client.host if request.client else ""
        return await workers.run(webhooks.answer, request.url.path, client, request.headers, body)

    routes = [
        Route("/healthz", health, methods=["GET"]),
        Route("/readyz", ready, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    routes += [Route(path, webhook, methods=["POST"]) for path in WEBHOOKS]
    app: ASGIApp = Starlette(
        routes=routes,
        middleware=[Middleware(RequestHeadCheck, max_header_bytes=max_header_bytes)],
        exception_handlers={BodyRefused: _body_refused, HTTPException: _http_error, Exception: _server_error},
    )
    if slack is not None:
        app = SlackEndpoint(app, slack, workers, max_body, max_header_bytes)
    return app


class SlackEndpoint:
    """``POST /slack/events`` without Starlette's router, request and exception layers (a third of the
    edge's own cost per request), everything else to ``app``. Where each step runs is ``SlackEvents``'
    to say (:attr:`SlackEvents.on_loop`, :meth:`SlackEvents.at_once`). Refusals are the edge's: the head check
    (:func:`head_problem`), 405 for another method, 413 past ``max_body``, 401 before Bolt parses anything
    (``SlackEvents``), and 500 without a traceback for a bug. On the loop, the writes are group commits
    (:class:`GroupCommit`): a request is answered once what it wrote is committed."""

    def __init__(
        self, app: ASGIApp, slack: SlackEvents, workers: WorkerThreads, max_body: int, max_header_bytes: int
    ) -> None:
        self.app = app
        self.slack = slack
        self.workers = workers
        self.max_body = max_body
        self.max_header_bytes = max_header_bytes
        self.writes = GroupCommit(slack.store.db) if slack.on_loop else None
        """The event loop's writes (replay keys, and the jobs of the requests Bolt answers on it), grouped."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != SLACK_PATH:
            await self.app(scope, receive, send)
            return
        await (await self._answer(scope, receive))(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive) -> Response:
        problem = head_problem(scope["headers"], self.max_header_bytes)
        if problem is not None:
            return error_response(*problem, close=True)
        if scope["method"] != "POST":
            return error_response(405, f"{scope['method']} is not allowed on {SLACK_PATH}", {"Allow": "POST"})
        headers = Headers(raw=scope["headers"])
        query = scope["query_string"].decode("latin-1")
        try:
            body = await receive_body(receive, headers.get("content-length"), self.max_body)
            if self.writes is None:
                return await self.workers.run(self.slack.answer, body, headers, query)
            refused = self.slack.verify(body, headers)  # signature first: nothing is parsed before it
            if refused is not None:
                return refused
            if self.slack.at_once(body):  # its listener only writes, locally: no thread to hand off to
                return await self.writes.run(
                    lambda: self.slack.remember(headers) or self.slack.dispatch(body, headers, query)
                )
            refused = await self.writes.run(lambda: self.slack.remember(headers))
            if refused is not None:
                return refused
            return await self.workers.run(self.slack.dispatch, body, headers, query)
        except BodyRefused as cut:
            return error_response(cut.status, cut.error, close=True)
        except Exception:
            log.exception("%s failed", SLACK_PATH)
            return error_response(500, "the request could not be handled; see the server log", close=True)


async def _body_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BodyRefused)
    return error_response(exc.status, exc.error, close=True)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such path, wrong method), in the edge's JSON shape."""
    assert isinstance(exc, HTTPException)
    error = (
        f"no such path: {request.url.path}"
        if exc.status_code == 404
        else f"{request.method} is not allowed on {request.url.path}"
        if exc.status_code == 405
        else str(exc.detail)
    )
    return error_response(exc.status_code, error, dict(exc.headers or {}))


async def _server_error(request: Request, exc: Exception) -> Response:
    """A bug, not bad input: Starlette re-raises it for uvicorn to log with its traceback; the client is
    told only where to look."""
    return error_response(500, "the request could not be handled; see the server log", close=True)
