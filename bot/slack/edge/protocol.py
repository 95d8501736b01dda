"""uvicorn's httptools protocol (llhttp, a C parser) with a read deadline, a bound on the request head and a
connection limit of its own.

uvicorn only times out a connection that is idle *after* a response (``timeout_keep_alive``): a client
that connects and sends nothing, or trickles its headers or body, would hold a connection (and a slot of
``limit_concurrency``) forever. Here each request's headers and body must arrive within
``read_timeout_s`` of the connection opening or of the previous response; otherwise the connection is
closed. llhttp does not bound a head that has not all arrived (httptools keeps what it has of a header):
a head still incomplete after ``max_head_bytes`` gets 431 and the connection is closed. llhttp itself
refuses, with 400, a ``Content-Length`` that is not a number, both ``Content-Length`` and
``Transfer-Encoding``, and a transfer coding that does not end in chunked. On shutdown a request still
sending its body is dropped at once (nothing of it was accepted).

(The C parser is what makes the edge cheap: h11, in Python, cost about a third of the serving process's
CPU per Slack request.)"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["DeadlineProtocol", "refusal"]


def refusal(status: int, reason: str, error: str) -> bytes:
    """A whole response refusing a request, in the edge's JSON shape, closing the connection."""
    body = json.dumps({"error": error}).encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    ).encode() + body


class DeadlineProtocol(HttpToolsProtocol):
    def __init__(
        self, *args: Any, read_timeout_s: float, max_connections: int, max_head_bytes: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.limit_concurrency = max_connections + 1  # uvicorn counts the asking connection itself
        self._read_timeout_s = read_timeout_s
        self._max_head_bytes = max_head_bytes
        self._deadline: asyncio.TimerHandle | None = None
        self._in_head = True
        """Reading a request head (or waiting for one to begin)."""
        self._head_bytes = 0
        self._request_in = False
        """The current request has all arrived (head and body) and is being answered."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > self._max_head_bytes:
                self.transport.write(
                    refusal(
                        431,
                        "Request Header Fields Too Large",
                        f"request headers too large (at most {self._max_head_bytes} bytes)",
                    )
                )
                self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """llhttp refused the bytes (a bad ``Content-Length``, smuggling, a bad request line…): say so in the
        edge's shape, not uvicorn's plain text."""
        self.transport.write(refusal(400, "Bad Request", "invalid HTTP request"))
        self.transport.close()

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._request_in = True
        self._in_head, self._head_bytes = True, 0  # what comes next on the connection is the next head
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._request_in = False
        super().on_response_complete()
        if not self.transport.is_closing():  # kept alive: the next request has its deadline too
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)

    def shutdown(self) -> None:
        if not self._in_head and not self._request_in:  # its body is still arriving
            self.transport.close()
        else:
            super().shutdown()

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self._read_timeout_s, self._expire)

    def _expire(self) -> None:
        """The request is not in yet (headers or body still missing, or none begun): give up on it."""
        self._deadline = None
        if not self._request_in and not self.transport.is_closing():
            self.transport.close()
