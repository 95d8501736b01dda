"""A local OpenAI-compatible chat-completions server for tests, on 127.0.0.1 and a free port.

It speaks the real wire format (``choices[].message.tool_calls[].function.arguments`` is a JSON
*string*; ``usage.prompt_tokens``/``completion_tokens``; ``finish_reason``), so tests drive the real
``openai`` SDK through settings instead of patching it. Answers come from a scripted queue, then from a
``fallback`` callable; every request body is recorded. Besides completions it can answer with HTTP
errors (429, 500, a 400 "tools not supported"), delays longer than the client's timeout, and
malformed tool arguments. With ``strict=True`` (the default) it also checks what a real endpoint
refuses — a tool call left without its ``tool`` answer, an answer to an unknown call id — and answers
those requests with the 400 the real API gives, keeping the problem in :attr:`protocol_errors`.

    with fake_openai() as server:
        server.push(completion(tool_calls=[tool_call("prometheus_query_range", {"query": "up"})]))
        server.push(completion("done"))
        settings = load_settings(openai_base_url=server.url, openai_api_key="test", reasoner="llm")
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "Delay",
    "FakeOpenAI",
    "HttpError",
    "completion",
    "fake_openai",
    "json_answer",
    "rate_limited",
    "server_error",
    "tool_call",
    "tools_unsupported",
]

_ids = itertools.count(1)


def tool_call(name: str, args: dict[str, Any] | str | None = None, call_id: str | None = None) -> dict[str, Any]:
    """One ``tool_calls[]`` entry; a ``str`` ``args`` is sent as is (to send malformed JSON)."""
    arguments = args if isinstance(args, str) else json.dumps(args or {})
    return {
        "id": call_id or f"call_{next(_ids)}",
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def completion(
    content: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    prompt_tokens: int = 100,
    completion_tokens: int = 20,
    finish_reason: str | None = None,
    model: str = "fake-model",
) -> dict[str, Any]:
    """A ``chat.completion`` body as the real API returns it."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": f"chatcmpl-{next(_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason or ("tool_calls" if tool_calls else "stop"),
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": "fp_fake",
    }


def json_answer(value: Any, **kwargs: Any) -> dict[str, Any]:
    """A completion whose content is ``value`` as JSON (diagnosis and JSON-mode answers)."""
    return completion(json.dumps(value), **kwargs)


@dataclass
class HttpError:
    """An HTTP error answer with an OpenAI-style error body."""

    status: int
    message: str
    type: str = "invalid_request_error"
    param: str | None = None
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def rate_limited() -> HttpError:
    return HttpError(
        429,
        "Rate limit reached for requests",
        type="requests",
        code="rate_limit_exceeded",
        headers={"retry-after": "0"},
    )


def server_error() -> HttpError:
    return HttpError(500, "The server had an error while processing your request.", type="server_error")


def tools_unsupported() -> HttpError:
    """What vLLM/Ollama-style servers answer when a model cannot call tools."""
    return HttpError(400, "This model does not support tools.", param="tools")


@dataclass
class Delay:
    """Wait ``seconds`` (longer than the client's timeout to simulate one), then answer ``then``."""

    seconds: float
    then: Any = None


Answer = dict[str, Any] | HttpError | Delay | Callable[[dict[str, Any]], Any]


class FakeOpenAI:
    """The server: a queue of scripted answers, a fallback, and every request it received."""

    def __init__(self, fallback: Callable[[dict[str, Any]], Any] | None = None, strict: bool = True) -> None:
        self.fallback = fallback
        self.strict = strict
        self.requests: list[dict[str, Any]] = []
        """Every ``/v1/chat/completions`` request body, in arrival order."""
        self.headers: list[dict[str, str]] = []
        """Each request's headers, names lower-cased."""
        self.protocol_errors: list[str] = []
        self._queue: list[Answer] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # ----- scripting -----
    def push(self, *answers: Answer) -> None:
        with self._lock:
            self._queue.extend(answers)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._queue)

    def sent_text(self) -> str:
        """Everything the model was sent, as one string (to look for leaked secrets)."""
        with self._lock:
            return "\n".join(json.dumps(r) for r in self.requests)

    def env(self, reasoner: str = "llm") -> dict[str, str]:
        """Environment variables that point Andon's settings at this server."""
        return {"OPENAI_BASE_URL": self.url, "OPENAI_API_KEY": "test", "ANDON_REASONER": reasoner}

    # ----- serving -----
    def start(self) -> FakeOpenAI:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stall

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/v1/models":
                    self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
                else:
                    self._send(404, HttpError(404, f"no route {self.path}").body())

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, HttpError(404, f"no route {self.path}").body())
                    return
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    self._send(400, HttpError(400, "request body is not JSON").body())
                    return
                status, payload, headers = owner._answer(body, {k.lower(): v for k, v in self.headers.items()})
                self._send(status, payload, headers)

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _answer(self, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
        problem = self._check(body) if self.strict else None
        if problem:
            with self._lock:
                self.protocol_errors.append(problem)
            return 400, HttpError(400, problem, param="messages").body(), {}
        with self._lock:
            answer: Any = self._queue.pop(0) if self._queue else self.fallback
        if answer is None:
            with self._lock:
                self.protocol_errors.append("unexpected request: the script is exhausted")
            return 500, HttpError(500, "fake server: script exhausted", type="server_error").body(), {}
        while True:
            if isinstance(answer, Delay):
                self._stopping.wait(answer.seconds)
                answer = answer.then
            elif callable(answer):
                answer = answer(body)
            else:
                break
        if isinstance(answer, HttpError):
            return answer.status, answer.body(), answer.headers
        return 200, answer, {}

    @staticmethod
    def _check(body: dict[str, Any]) -> str | None:
        """What a real chat-completions endpoint would refuse with a 400."""
        if not body.get("model"):
            return "you must provide a model parameter"
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return "'messages' must be a non-empty array"
        open_calls: list[str] = []
        for index, message in enumerate(messages):
            role = message.get("role")
            if role not in ("system", "user", "assistant", "tool", "developer"):
                return f"messages[{index}]: invalid role {role!r}"
            if role != "tool" and open_calls:
                return (
                    f"messages[{index}]: an assistant message with 'tool_calls' must be followed by tool "
                    f"messages responding to each 'tool_call_id'; missing: {', '.join(open_calls)}"
                )
            if role == "assistant":
                for call in message.get("tool_calls") or []:
                    if not isinstance(call.get("function", {}).get("arguments"), str):
                        return f"messages[{index}]: tool call arguments must be a string"
                    open_calls.append(call["id"])
            elif role == "tool":
                if message.get("tool_call_id") not in open_calls:
                    return (
                        f"messages[{index}]: messages with role 'tool' must be a response to a preceding "
                        f"message with 'tool_calls' (unknown id {message.get('tool_call_id')!r})"
                    )
                open_calls.remove(message["tool_call_id"])
            elif not isinstance(message.get("content"), str):
                return f"messages[{index}]: content must be a string"
        if open_calls:
            return f"tool calls without a tool answer: {', '.join(open_calls)}"
        for tool in body.get("tools") or []:
            if tool.get("type") != "function" or not tool.get("function", {}).get("name"):
                return "tools[]: each tool needs type 'function' and a function name"
        response_format = body.get("response_format")
        if response_format is not None and response_format.get("type") not in ("json_object", "json_schema", "text"):
            return f"invalid response_format {response_format!r}"
        return None


@contextmanager
def fake_openai(fallback: Callable[[dict[str, Any]], Any] | None = None, strict: bool = True) -> Iterator[FakeOpenAI]:
    """A started :class:`FakeOpenAI`, stopped on exit."""
    server = FakeOpenAI(fallback, strict).start()
    try:
        yield server
    finally:
        server.stop()
