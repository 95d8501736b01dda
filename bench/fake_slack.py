"""A local fake of Slack's Web API on loopback, the one both the tests and the benchmarks use: records every
call (its method, arguments, headers, raw body, the answer, and the moment it arrived on the fake's clock),
answers the methods Andon uses like Slack does (including Block Kit limit errors), and can be told to answer
429 + Retry-After or to fail a method.

It lives in ``bench/`` because the benchmarks ship without the tests and may not import ``tests/``, while the
tests may import ``bench`` (``tests/test_layers.py`` holds the layering).

File uploads take Slack's external flow, in its wire format: ``files.getUploadURLExternal`` (form fields
``filename``, ``length``, optional ``alt_txt``) answers an ``upload_url`` and a ``file_id``; the file's bytes
are POSTed raw to that URL (answered ``OK - <length>``); ``files.completeUploadExternal`` (``files`` a JSON
array of ``{"id", "title"}``, with ``channel_id``, ``thread_ts``, ``initial_comment``) shares them — refused
(``invalid_arguments``) when a file was never issued, never uploaded or not the length announced.
:meth:`FakeSlack.uploads` gives the files shared, with their bytes.

    fake = FakeSlack().start()
    settings = load_settings(slack_api_url=fake.api_url, ...)
    ...
    fake.wait_for(lambda: fake.calls_to("chat.postMessage"))

A benchmark that times "webhook sent" → "message posted" builds it with ``clock=time.perf_counter`` (the
clock it reads itself) and waits with :meth:`FakeSlack.poll`, which answers None instead of failing.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeSlack", "Call", "Upload", "block_ids", "block_problem"]

T = TypeVar("T")
BOT_USER = "UANDONBOT"
BOT_ID = "BANDONBOT"


@dataclass
class Call:
    """One request the fake received."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float
    """When the request arrived, on the fake's clock (``time.monotonic`` unless it was built with another)."""
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    body: bytes = b""
    """The raw body (for an upload: the file's bytes; ``args`` holds its length and its text)."""

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.args.get("blocks") or []
        return blocks if isinstance(blocks, list) else []

    @property
    def ts(self) -> str | None:
        """The message's ``ts`` the fake answered (chat.postMessage, chat.update), or None."""
        ts = self.response.get("ts")
        return None if ts is None else str(ts)

    def has_block(self, prefix: str) -> bool:
        """Whether the call carries a block whose id starts with ``prefix``."""
        return any(b.startswith(prefix) for b in block_ids(self))


@dataclass
class Upload:
    """A file through the external upload flow: announced, its bytes received, then shared (or not)."""

    file_id: str
    filename: str
    length: int
    alt_txt: str | None = None
    data: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    shared_at: float | None = None
    """When files.completeUploadExternal shared it, on the fake's clock (None until then)."""


def block_ids(call: Call) -> list[str]:
    return [str(b.get("block_id", "")) for b in call.blocks]


def block_problem(blocks: Any) -> str | None:
    """What Slack would refuse in ``blocks`` (the limits Andon must respect), or None."""
    if blocks in (None, ""):
        return None
    if not isinstance(blocks, list):
        return "blocks must be a list"
    if len(blocks) > 50:
        return f"{len(blocks)} blocks (max 50)"
    for index, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "section":
            text = (block.get("text") or {}).get("text", "")
            if len(text) > 3000:
                return f"block {index}: section text {len(text)} chars (max 3000)"
            if not text and not block.get("fields"):
                return f"block {index}: empty section"
            if len(block.get("fields") or []) > 10 or any(
                len(f.get("text", "")) > 2000 for f in block.get("fields") or []
            ):
                return f"block {index}: fields over the limits"
        elif kind == "header" and len((block.get("text") or {}).get("text", "")) > 150:
            return f"block {index}: header over 150 chars"
        elif kind == "actions" and len(block.get("elements") or []) > 25:
            return f"block {index}: more than 25 elements"
        elif kind == "context" and len(block.get("elements") or []) > 10:
            return f"block {index}: more than 10 context elements"
        if len(str(block.get("block_id", ""))) > 255:
            return f"block {index}: block_id too long"
    ids = [b["block_id"] for b in blocks if b.get("block_id")]
    if len(ids) != len(set(ids)):
        return "duplicate block_id"
    return None


class FakeSlack:
    """The fake; ``clock`` stamps each call's ``at`` (and an upload's ``shared_at``)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.calls: list[Call] = []
        self.usergroups: dict[str, list[str]] = {}
        self.ws_url: str | None = None
        self._limits: dict[str, list[int]] = {}
        self._failures: dict[str, list[Any]] = {}
        self._uploads: dict[str, Upload] = {}
        self._upload_tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # ----- lifecycle -----
    def start(self) -> FakeSlack:
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
        threading.Thread(target=self._server.serve_forever, name="fake-slack", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeSlack:
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

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base}/response/{name}"

    # ----- controls and queries -----
    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 and ``Retry-After``."""
        with self._lock:
            self._limits[method] = [retry_after, times]

    def fail(self, method: str, error: str = "internal_error", times: int = 1, status: int = 200) -> None:
        """Answer the next ``times`` calls of ``method`` with ``{"ok": false, "error": error}`` (``status``
        500 for an HTTP failure); ``method`` "upload" is the POST of a file's bytes to its upload URL."""
        with self._lock:
            self._failures[method] = [error, times, status]

    def uploads(self, shared: bool = True) -> list[Upload]:
        """The files uploaded through the external flow (only those shared, by default), in upload order."""
        with self._lock:
            return [u for u in self._uploads.values() if u.shared_at is not None or not shared]

    def calls_to(self, *methods: str, ok: bool | None = True) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method in methods and (ok is None or (c.status == 200) == ok and c.response.get("ok", True) == ok)
            ]

    def poll(self, probe: Callable[[], T | None], timeout: float = 30.0) -> T | None:
        """``probe()``'s first truthy answer within ``timeout`` seconds, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            time.sleep(0.02)
        return None

    def wait_for(self, probe: Callable[[], T | None], timeout: float = 30.0, what: str = "condition") -> T:
        """As :meth:`poll`, but a timeout fails (an ``AssertionError`` naming ``what`` and the calls so far)."""
        value = self.poll(probe, timeout)
        if not value:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; calls: {[c.method for c in self.calls]}"
            )
        return value

    def posts_with(self, block_id: str, *, method: str = "chat.postMessage") -> list[Call]:
        """Calls of ``method`` carrying a block whose id starts with ``block_id``."""
        return [c for c in self.calls_to(method) if c.has_block(block_id)]

    # ----- protocol -----
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        at = self.clock()  # on arrival, before the body is read
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in request.headers.items()}
        if parts.path.startswith("/api/"):
            method = parts.path[len("/api/") :]
            args = self._args(raw, headers.get("content-type", ""), parts.query)
        elif parts.path.startswith("/upload/"):
            token = parts.path.rsplit("/", 1)[-1]
            method, args = (
                "upload",
                {
                    "file_id": self._upload_tokens.get(token),
                    "length": len(raw),
                    "content": raw.decode(errors="replace"),
                },
            )
        elif parts.path.startswith("/response/"):
            method, args = "response_url", {"name": parts.path.rsplit("/", 1)[-1], **json.loads(raw or b"{}")}
        else:
            method, args = parts.path, {}
        call = Call(method=method, args=args, headers=headers, at=at, body=raw)
        status, body, extra = self._answer(call)
        call.status, call.response = status, body
        with self._lock:
            self.calls.append(call)
        data = (json.dumps(body) if method != "upload" else body.get("text", "")).encode()
        request.send_response(status)
        request.send_header(
            "Content-Type", "application/json; charset=utf-8" if method != "upload" else "text/plain; charset=utf-8"
        )
        request.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    @staticmethod
    def _args(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
        args: dict[str, Any] = {k: v[0] for k, v in parse_qs(query).items()}
        if "json" in content_type:
            args.update(json.loads(raw or b"{}"))
        elif raw:
            args.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
        for key in ("blocks", "attachments", "files"):
            if isinstance(args.get(key), str):
                with contextlib.suppress(json.JSONDecodeError):
                    args[key] = json.loads(args[key])
        return args

    def _ts(self) -> str:
        n = next(self._counter)
        return f"{1_800_000_000 + n}.{n:06d}"

    def _answer(self, call: Call) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            limit = self._limits.get(call.method)
            if limit and limit[1] > 0:
                limit[1] -= 1
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(limit[0])}
            failure = self._failures.get(call.method)
            if failure and failure[1] > 0:
                failure[1] -= 1
                return int(failure[2]), {"ok": False, "error": failure[0], "text": failure[0]}, {}
        method, args = call.method, call.args
        if method in ("files.getUploadURLExternal", "upload", "files.completeUploadExternal"):
            body = self._file(method, args, call.body)
            return (404 if method == "upload" and not body["ok"] else 200), body, {}
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            problem = block_problem(args.get("blocks"))
            if problem:
                return 200, {"ok": False, "error": "invalid_blocks", "errors": [problem]}, {}
            if method == "chat.postEphemeral":
                return 200, {"ok": True, "message_ts": self._ts()}, {}
            ts = args.get("ts") if method == "chat.update" else self._ts()
            return (
                200,
                {"ok": True, "channel": args.get("channel"), "ts": ts, "message": {"text": args.get("text"), "ts": ts}},
                {},
            )
        n = next(self._counter)
        answers: dict[str, dict[str, Any]] = {
            "auth.test": {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": "andon",
                "team_id": "TFAKE0001",
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            },
            "chat.getPermalink": {
                "ok": True,
                "channel": args.get("channel"),
                "permalink": f"https://fake.slack.com/archives/{args.get('channel')}/"
                f"p{str(args.get('message_ts', '')).replace('.', '')}",
            },
            "conversations.create": {"ok": True, "channel": {"id": f"CNEW{n:05d}", "name": args.get("name")}},
            "conversations.invite": {"ok": True, "channel": {"id": args.get("channel")}},
            "conversations.setTopic": {"ok": True, "channel": {"id": args.get("channel")}},
            "conversations.list": {
                "ok": True,
                "channels": [{"id": "CINCIDENT1", "name": "incidents"}],
                "response_metadata": {"next_cursor": ""},
            },
            "conversations.info": {"ok": True, "channel": {"id": args.get("channel"), "name": "incidents"}},
            "bookmarks.add": {
                "ok": True,
                "bookmark": {"id": f"Bk{n}", "title": args.get("title"), "link": args.get("link")},
            },
            "usergroups.users.list": {"ok": True, "users": self.usergroups.get(str(args.get("usergroup")), [])},
            "apps.connections.open": {"ok": True, "url": self.ws_url or "ws://127.0.0.1:9/"},
            "response_url": {"ok": True},
        }
        if method.startswith("views."):
            return 200, {"ok": True, "view": {"id": f"V{n:05d}"}}, {}
        return 200, answers.get(method, {"ok": True}), {}

    def _file(self, method: str, args: dict[str, Any], raw: bytes) -> dict[str, Any]:
        """The external upload flow (see the module's docstring)."""
        with self._lock:
            if method == "files.getUploadURLExternal":
                length = str(args.get("length") or "")
                if not args.get("filename") or not length.isdigit() or int(length) <= 0:
                    return {"ok": False, "error": "invalid_arguments"}
                file_id, token = f"F{next(self._counter):08d}", secrets.token_urlsafe(12)
                self._uploads[file_id] = Upload(file_id, str(args["filename"]), int(length), args.get("alt_txt"))
                self._upload_tokens[token] = file_id
                return {"ok": True, "upload_url": f"{self.base}/upload/v1/{token}", "file_id": file_id}
            if method == "upload":
                upload = self._uploads.get(str(args.get("file_id")))
                if upload is None:
                    return {"ok": False, "text": "unknown upload URL"}
                upload.data = raw
                return {"ok": True, "text": f"OK - {len(raw)}"}
            if method == "files.completeUploadExternal":
                files = args.get("files")
                chosen = (
                    [self._uploads.get(str(f.get("id"))) for f in files] if isinstance(files, list) and files else []
                )
                if not chosen or any(u is None or u.data is None or len(u.data) != u.length for u in chosen):
                    return {"ok": False, "error": "invalid_arguments"}
                for upload, item in zip(chosen, files, strict=True):
                    assert upload is not None
                    upload.title = item.get("title") or upload.filename
                    upload.channel_id, upload.thread_ts = args.get("channel_id"), args.get("thread_ts")
                    upload.initial_comment, upload.shared_at = args.get("initial_comment"), self.clock()
                return {
                    "ok": True,
                    "files": [
                        {"id": u.file_id, "name": u.filename, "title": u.title, "size": u.length}
                        for u in chosen
                        if u is not None
                    ],
                }
            raise ValueError(method)
