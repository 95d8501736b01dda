"""Every limit the HTTP edge enforces, in one parameters object (the server takes one; tests build their own)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EdgeLimits", "MAX_BODY"]

MAX_BODY = 5 * 1024 * 1024


@dataclass(frozen=True)
class EdgeLimits:
    max_body: int = MAX_BODY
    """Bytes a request body may have, counted while it streams in (``Content-Length`` or chunked): beyond
    it the request gets 413 and the connection is closed, the rest never read."""
    read_timeout_s: float = 15.0
    """A request's headers and body must all arrive within this long of the connection opening (or of the
    previous response on a kept-alive connection); an idle or trickling client is disconnected then."""
    keep_alive_s: int = 5
    """A kept-alive connection with no next request is closed after this many seconds."""
    max_connections: int = 256
    """Connections served at once; a request on one more gets 503 and that connection is closed."""
    max_header_bytes: int = 16 * 1024
    """Request line and headers: a head still arriving gets 431 once it passes this (llhttp keeps what it has
    of a header and bounds nothing), and so does a complete head with more header bytes than this."""
    backlog: int = 512
    """Connections the kernel queues before the server accepts them."""
    shutdown_grace_s: int = 2
    """After a stop, requests whose bodies have arrived get this long to be answered (their work is
    already in the store's durable queue); requests still sending their body are dropped at once.
    ``andon serve`` leaves within 5 s of SIGINT/SIGTERM, so this stays well under that."""
