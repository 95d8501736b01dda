"""Edge abuse and memory: the resident set of ``andon serve --mode http``'s serving process (a child
process, against the benchmarks' fake Slack) before and after rounds of the abuse the edge tests defend
against — bodies without a sane length, endless chunked bodies, smuggling heads, oversized headers,
malformed webhooks, unsigned and forged Slack requests, replayed signed requests, a webhook flood, half-sent
requests and 2000 idle connections held open at once. The serving process should end within +50 MB of
where it started, still answering."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Callable
from typing import Any

from bench.load import Request, burst, raw_request
from bench.result import BenchOptions, Result
from bench.served import EXAMPLES, ServedAndon, command_request, warm_knowledge
from bench.system import median

__all__ = ["NAME", "run", "TARGET_GROWTH_MB", "ABUSE"]

NAME = "edge_abuse"
TARGET_GROWTH_MB = 50.0
IDLE_CONNECTIONS = 2000
HALF_SENT = 100
TELEMETRY = EXAMPLES / "checkout-bad-deploy.telemetry.yaml"


def _head(head: bytes, kind: str) -> Request:
    return Request(kind, head)


def _length_lies(url: str) -> list[Request]:
    return [
        _head(
            f"POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n{{}}".encode(),
            "bad length",
        )
        for n in ("-1", "12abc", "99999999999")
    ] * 10


def _bad_heads(url: str) -> list[Request]:
    heads = [
        b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 40_000 + b"\r\n\r\n",
        b"GET /h\xc3\xa9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"PUT /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    ]
    return [_head(h, "bad head") for h in heads] * 10


def _malformed_webhooks(url: str) -> list[Request]:
    bodies = [
        b"\xff\xfe not utf-8",
        b"[" * 900 + b"]" * 900,
        b'{"alerts": [{"annotations": {"summary": "\\ud800"}}]}',
        b"[1, 2]",
        b'{"alerts": [' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"]}",
        b"x" * 1_000_000,
    ]
    return [
        _head(
            b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(b), b),
            "malformed",
        )
        for b in bodies
    ] * 5


def _unsigned_slack(url: str) -> list[Request]:
    body, signed = command_request("help", "http://127.0.0.1:9/none")
    forged = {**signed, "X-Slack-Signature": "v0=" + "0" * 64}
    stale = {**signed, "X-Slack-Request-Timestamp": "1000000000"}
    unsigned = {"Content-Type": signed["Content-Type"]}
    bad_ts = {**signed, "X-Slack-Request-Timestamp": "12abc"}
    return [raw_request(url, "/slack/events", body, h, "unsigned") for h in (forged, stale, unsigned, bad_ts)] * 25


def _replayed(url: str) -> list[Request]:
    body, headers = command_request("help", "http://127.0.0.1:9/none")
    return [raw_request(url, "/slack/events", body, headers, "replayed")] * 100


def _flood(url: str) -> list[Request]:
    return [raw_request(url, "/alertmanager", "[1]", {"Content-Type": "application/json"}, "flood")] * 300


BURSTS: dict[str, Callable[[str], list[Request]]] = {
    "bad Content-Length (negative, not a number, 100 GB)": _length_lies,
    "smuggling / unknown transfer coding / 40 KB header / non-ASCII path / wrong method": _bad_heads,
    "malformed webhooks (not UTF-8, nested 900 deep, lone surrogate, not an object, 1 MB junk)": _malformed_webhooks,
    "unsigned, forged, stale and malformed-timestamp Slack requests": _unsigned_slack,
    "one signed slash command replayed 100 times": _replayed,
    "webhook flood from one address (300 at once)": _flood,
}
ABUSE = [
    *BURSTS,
    "endless chunked bodies (cut off at 5 MB)",
    f"{HALF_SENT} half-sent requests",
    f"{IDLE_CONNECTIONS} idle connections held open",
]


def _endless_chunked(address: tuple[str, int], streams: int = 5) -> int:
    """Chunked bodies that never end: the server should answer 413 past its limit. Returns the 413s."""
    chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
    refused = 0
    for _ in range(streams):
        with socket.create_connection(address, timeout=10) as sock:
            sock.sendall(b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            with contextlib.suppress(OSError):
                for _ in range(400):  # up to 25 MB
                    sock.sendall(chunk)
            with contextlib.suppress(OSError):
                refused += sock.recv(65536).startswith(b"HTTP/1.1 413")
    return refused


def _held(address: tuple[str, int], n: int, first: bytes = b"") -> list[socket.socket]:
    sockets = []
    for _ in range(n):
        with contextlib.suppress(OSError):
            sock = socket.create_connection(address, timeout=5)
            if first:
                with contextlib.suppress(OSError):
                    sock.sendall(first)
            sockets.append(sock)
    return sockets


def _round(served: ServedAndon, address: tuple[str, int], idle_connections: int) -> dict[str, Any]:
    statuses: dict[str, dict[str, int]] = {}
    for name, build in BURSTS.items():
        for reply in burst(served.url, build(served.url), timeout=20):
            key = str(reply.status) if reply.status is not None else "closed"
            statuses.setdefault(name, {})[key] = statuses.get(name, {}).get(key, 0) + 1
    refused = _endless_chunked(address)
    half = _held(address, HALF_SENT, b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
    idle = _held(address, idle_connections)
    time.sleep(2.0)
    held_mb = served.rss_mb()
    for sock in half + idle:
        sock.close()
    return {
        "statuses": statuses,
        "endless_chunked_413": refused,
        "half_sent_opened": len(half),
        "idle_opened": len(idle),
        "rss_while_held_mb": held_mb,
    }


def _settled(served: ServedAndon, seconds: float = 3.0) -> float:
    time.sleep(seconds)
    values = [v for v in (served.rss_mb() for _ in range(5)) if v is not None]
    return median(values)


def _warm_up(served: ServedAndon) -> None:
    """Normal traffic first, so the lazily imported parts of the serving path count in 'before'."""
    health = Request("healthz", b"GET /healthz HTTP/1.1\r\nHost: andon\r\nConnection: close\r\n\r\n")
    burst(served.url, [health] * 50)
    burst(
        served.url,
        [
            raw_request(
                served.url,
                "/slack/events",
                *command_request("help", f"{served.slack.base}/response/warm"),
                kind="command",
            )
            for _ in range(50)
        ],
    )


def run(options: BenchOptions) -> Result:
    rounds = options.pick(5, 1)
    idle_connections = options.pick(IDLE_CONNECTIONS, 300)
    with ServedAndon(TELEMETRY, data_from=warm_knowledge(options.workdir)) as served:
        host, port = "127.0.0.1", served.port
        started_mb = _settled(served, 1.0)
        _warm_up(served)
        before = _settled(served)
        per_round = []
        for _ in range(rounds):
            one = _round(served, (host, port), idle_connections)
            one["rss_after_mb"] = _settled(served)
            per_round.append(one)
        after = per_round[-1]["rss_after_mb"]
        serving = served.process is not None and served.process.poll() is None
        with contextlib.suppress(Exception):
            import httpx

            serving = serving and httpx.get(f"{served.url}/healthz", timeout=5).status_code == 200
        peak = max([r["rss_while_held_mb"] or 0.0 for r in per_round], default=0.0)
    growth = round(after - before, 1)
    return Result(
        name=NAME,
        title="Edge abuse: serving-process memory",
        measured=f"RSS of andon serve --mode http's serving process (child process, fake Slack, worker process "
        f"apart) after start-up and normal warm-up traffic, then after each of {rounds} rounds of abuse: "
        + "; ".join(ABUSE),
        target=f"≤ +{TARGET_GROWTH_MB:.0f} MB after the abuse, still serving",
        runs=rounds,
        headline=f"{before:.0f} MB before → {after:.0f} MB after {rounds} round(s) ({growth:+.0f} MB); "
        f"peak {peak:.0f} MB with {idle_connections} idle connections held; "
        f"{'still serving' if serving else 'NOT serving'}",
        met=growth <= TARGET_GROWTH_MB and serving,
        metrics={
            "started_mb": started_mb,
            "before_mb": before,
            "after_mb": after,
            "growth_mb": growth,
            "peak_while_held_mb": peak,
            "still_serving": serving,
            "rounds": per_round,
        },
        notes=[
            "'before' is after start-up and 100 normal requests (50 /healthz, 50 signed /andon help); "
            f"start-up alone settled at {started_mb:.0f} MB",
            "the worker process (investigations) is not counted: the abuse never reaches it",
        ]
        + ([f"--quick: one round, {idle_connections} idle connections"] if options.quick else []),
    )


if __name__ == "__main__":
    from pathlib import Path
    from tempfile import TemporaryDirectory

    with TemporaryDirectory(prefix="andon-edge-abuse-") as scratch:
        result = run(BenchOptions(workdir=Path(scratch)))
    print(json.dumps(result.to_dict(), indent=2, default=str))
