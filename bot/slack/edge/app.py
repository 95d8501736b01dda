"""The ASGI application: the routes, each a thin async shell that reads the body within its limit and runs
the blocking work (signature check, store writes, Bolt, the alert intake) on the thread pool, so the event
loop only ever moves bytes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.slack.edge.body import BodyRefused, read_body
from bot.slack.edge.events import SLACK_PATH, SlackEvents
from bot.slack.edge.head import RequestHeadCheck
from bot.slack.edge.probes import Probes
from bot.slack.edge.responses import error_response
from bot.slack.edge.webhooks import WEBHOOKS, Webhooks

__all__ = ["build_edge_app", "WorkerThreads"]

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


def build_edge_app(probes: Probes, webhooks: Webhooks, slack: SlackEvents | None, max_body: int,
                   max_header_bytes: int, threads: int) -> Starlette:
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

    async def slack_events(request: Request) -> Response:
        assert slack is not None
        body = await read_body(request, max_body)
        return await workers.run(slack.answer, body, request.headers, request.url.query)

    routes = [Route("/healthz", health, methods=["GET"]), Route("/readyz", ready, methods=["GET"]),
              Route("/metrics", metrics, methods=["GET"])]
    routes += [Route(path, webhook, methods=["POST"]) for path in WEBHOOKS]
    if slack is not None:
        routes.append(Route(SLACK_PATH, slack_events, methods=["POST"]))
    return Starlette(routes=routes, middleware=[Middleware(RequestHeadCheck, max_header_bytes=max_header_bytes)],
                     exception_handlers={BodyRefused: _body_refused, HTTPException: _http_error,
                                         Exception: _server_error})


async def _body_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BodyRefused)
    return error_response(exc.status, exc.error, close=True)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such path, wrong method), in the edge's JSON shape."""
    assert isinstance(exc, HTTPException)
    error = f"no such path: {request.url.path}" if exc.status_code == 404 else \
        f"{request.method} is not allowed on {request.url.path}" if exc.status_code == 405 else str(exc.detail)
    return error_response(exc.status_code, error, dict(exc.headers or {}))


async def _server_error(request: Request, exc: Exception) -> Response:
    """A bug, not bad input: Starlette re-raises it for uvicorn to log with its traceback; the client is
    told only where to look."""
    return error_response(500, "the request could not be handled; see the server log", close=True)
