"""A minimal Slack Web API on loopback for the benchmarks: answers the methods Andon calls at start-up
and while posting (files included: ``files.getUploadURLExternal``, the bytes POSTed to the URL it answers,
``files.completeUploadExternal``), and records each call with the moment it arrived
(``time.perf_counter``), so a benchmark can time "webhook sent" → "message posted" on one clock.

(The tests' fake, ``tests/support/fake_slack.py``, also checks Block Kit limits and rate-limits on
demand; the benchmarks only need the recording, and ship without the tests.)"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["BenchSlack", "Posted"]


@dataclass(frozen=True)
class Posted:
    method: str
    args: dict[str, Any]
    at: float
    """``time.perf_counter()`` when the request arrived."""
    ts: str | None = None
    """The ``ts`` Slack would answer with, for chat.postMessage."""

    def has_block(self, prefix: str) -> bool:
        blocks = self.args.get("blocks") or []
        return isinstance(blocks, list) and any(str(b.get("block_id", "")).startswith(prefix) for b in blocks)


class BenchSlack:
    def __init__(self) -> None:
        self.calls: list[Posted] = []
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> BenchSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 — the stdlib's signature
                pass

            def do_POST(self) -> None:  # noqa: N802 — the stdlib's name
                fake._handle(self)

            do_GET = do_POST  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="bench-slack", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> BenchSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def posts(self, method: str = "chat.postMessage") -> list[Posted]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, probe: Callable[[], Any], timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            time.sleep(0.005)
        return None

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        at = time.perf_counter()
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        method = parts.path.removeprefix("/api/").strip("/")
        args: dict[str, Any] = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if method.startswith("upload/"):  # a file's bytes, to the URL files.getUploadURLExternal gave
            method, args = "upload", {"file_id": method.rsplit("/", 1)[-1], "bytes": len(raw)}
        elif "json" in (request.headers.get("Content-Type") or ""):
            args.update(json.loads(raw or b"{}"))
        elif raw:
            args.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
        if isinstance(args.get("blocks"), str):
            args["blocks"] = json.loads(args["blocks"])
        body, ts = self._answer(method, args)
        with self._lock:
            self.calls.append(Posted(method, args, at, ts))
        data = json.dumps(body).encode()
        request.send_response(200)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _answer(self, method: str, args: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        n = next(self._counter)
        if method in ("chat.postMessage", "chat.update"):
            ts = str(args.get("ts")) if method == "chat.update" else f"{1_800_000_000 + n}.{n:06d}"
            return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": {"ts": ts}}, ts
        answers: dict[str, dict[str, Any]] = {
            "auth.test": {
                "ok": True,
                "url": "https://bench.slack.invalid/",
                "team": "Bench",
                "user": "andon",
                "team_id": "TBENCH001",
                "user_id": "UANDONBOT",
                "bot_id": "BANDONBOT",
            },
            "conversations.list": {
                "ok": True,
                "channels": [{"id": "CINCIDENT1", "name": "incidents"}],
                "response_metadata": {"next_cursor": ""},
            },
            "conversations.info": {"ok": True, "channel": {"id": args.get("channel"), "name": "incidents"}},
            "chat.getPermalink": {"ok": True, "permalink": "https://bench.slack.invalid/archives/x"},
            "chat.postEphemeral": {"ok": True, "message_ts": f"{1_800_000_000 + n}.{n:06d}"},
            "files.getUploadURLExternal": {
                "ok": True,
                "upload_url": f"{self.base}/upload/v1/F{n:06d}",
                "file_id": f"F{n:06d}",
            },
            "files.completeUploadExternal": {
                "ok": True,
                "files": [{"id": f.get("id"), "title": f.get("title")} for f in json.loads(args.get("files") or "[]")],
            },
        }
        return answers.get(method, {"ok": True}), None
