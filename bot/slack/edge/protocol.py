"""uvicorn's h11 protocol with a read deadline and a connection limit of its own.

uvicorn only times out a connection that is idle *after* a response (``timeout_keep_alive``): a client
that connects and sends nothing, or trickles its headers or body, would hold a connection (and a slot of
``limit_concurrency``) forever. Here each request's headers and body must arrive within
``read_timeout_s`` of the connection opening or of the previous response; otherwise the connection is
closed. On shutdown a request still sending its body is dropped at once (nothing of it was accepted)."""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["DeadlineProtocol"]


class DeadlineProtocol(H11Protocol):
    def __init__(self, *args: Any, read_timeout_s: float, max_connections: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_concurrency = max_connections + 1  # uvicorn counts the asking connection itself
        self._read_timeout_s = read_timeout_s
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)

    def shutdown(self) -> None:
        if self.conn.their_state is h11.SEND_BODY:
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
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
            self.transport.close()
