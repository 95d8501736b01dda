"""Reading a request body with a size limit enforced while it streams in."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive

__all__ = ["BodyRefused", "read_body", "receive_body"]


class BodyRefused(Exception):
    """The body was not read: ``status`` and ``error`` say why (the connection is closed after the answer)."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, at most ``limit`` bytes. A declared ``Content-Length`` over the limit is refused before
    a byte is read; a chunked body is cut off as soon as it passes the limit. (llhttp has already answered 400
    to a ``Content-Length`` that is not a number, and to a transfer coding other than chunked.)"""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyRefused(413, f"request body too large: {int(declared)} bytes (at most {limit})")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise BodyRefused(413, f"request body too large: more than {limit} bytes")
    except ClientDisconnect:
        raise BodyRefused(400, "the client went away before the body was complete") from None
    return bytes(body)


async def receive_body(receive: Receive, declared: str | None, limit: int) -> bytes:
    """:func:`read_body` for a bare ASGI endpoint: the body from ``receive``, with ``declared`` the request's
    ``Content-Length`` (None when chunked)."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyRefused(413, f"request body too large: {int(declared)} bytes (at most {limit})")
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BodyRefused(400, "the client went away before the body was complete")
        body += message.get("body", b"")
        if len(body) > limit:
            raise BodyRefused(413, f"request body too large: more than {limit} bytes")
        if not message.get("more_body", False):
            return bytes(body)
