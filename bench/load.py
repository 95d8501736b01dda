"""A light load generator: N requests released at once from N threads over raw sockets, each on a new
connection (as Slack's are), timed from connect to the last byte of the response.

A general-purpose client (httpx, one asyncio loop) spends a few milliseconds of Python per request, so
at 100 concurrent requests it measured its own queue — /healthz looked like 400 ms. Pre-built request
bytes and blocking sockets leave almost nothing on the client side to wait for."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Request", "Reply", "raw_request", "burst"]


@dataclass(frozen=True)
class Request:
    kind: str
    data: bytes
    """The whole HTTP/1.1 request, headers and body."""


@dataclass(frozen=True)
class Reply:
    kind: str
    status: int | None
    """None when the connection failed or timed out."""
    seconds: float
    error: str | None = None


def raw_request(url: str, path: str, body: str, headers: dict[str, str], kind: str = "") -> Request:
    host = urlsplit(url).netloc
    payload = body.encode()
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(payload)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return Request(kind, ("\r\n".join(lines) + "\r\n\r\n").encode() + payload)


def _status(head: bytes) -> int:
    return int(head.split(b"\r\n", 1)[0].split()[1])


def _send(address: tuple[str, int], request: Request, timeout: float) -> Reply:
    started = time.perf_counter()
    try:
        with socket.create_connection(address, timeout=timeout) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(request.data)
            received = b""
            length: int | None = None
            head_end = -1
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
                if head_end < 0 and (head_end := received.find(b"\r\n\r\n")) >= 0:
                    for line in received[:head_end].split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value.strip())
                if head_end >= 0 and length is not None and len(received) >= head_end + 4 + length:
                    break
        return Reply(request.kind, _status(received), time.perf_counter() - started)
    except (OSError, ValueError, IndexError) as exc:
        return Reply(request.kind, None, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")


def burst(url: str, requests: list[Request], timeout: float = 30.0) -> list[Reply]:
    """Send every request at the same moment (one thread each, released together by a barrier)."""
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    replies: list[Reply | None] = [None] * len(requests)
    gate = threading.Barrier(len(requests))

    def one(index: int) -> None:
        gate.wait()
        replies[index] = _send(address, requests[index], timeout)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout + 5)
    return [
        r if r is not None else Reply(q.kind, None, timeout, "no reply") for r, q in zip(replies, requests, strict=True)
    ]
