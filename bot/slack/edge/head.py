"""Refusals decided on the request head alone, before routing: what the protocol let through but the edge
does not want."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from bot.slack.edge.responses import error_response

__all__ = ["RequestHeadCheck", "head_problem"]


def head_problem(headers: list[tuple[bytes, bytes]], max_header_bytes: int) -> tuple[int, str] | None:
    """(status, error) for a head the edge refuses, or None:

    - headers over ``max_header_bytes`` in total: 431 (the protocol only bounds a head that has not all
      arrived; one that arrived in a single read could be larger);
    - both ``Content-Length`` and ``Transfer-Encoding``: 400, the shape of request smuggling behind a proxy
      (RFC 9112 §6.1 lets a server reject it, and it must close the connection either way; llhttp already
      refuses it, this says so again should the parser ever be lenient)."""
    if sum(len(name) + len(value) + 4 for name, value in headers) > max_header_bytes:
        return 431, f"request headers too large (at most {max_header_bytes} bytes)"
    names = {name.lower() for name, _ in headers}
    if b"content-length" in names and b"transfer-encoding" in names:
        return 400, "a request may not have both Content-Length and Transfer-Encoding"
    return None


class RequestHeadCheck:
    """ASGI middleware applying :func:`head_problem`; a refused request's connection is closed unread."""

    def __init__(self, app: ASGIApp, max_header_bytes: int) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = head_problem(scope["headers"], self.max_header_bytes)
            if problem is not None:
                await error_response(*problem, close=True)(scope, receive, send)
                return
        await self.app(scope, receive, send)
