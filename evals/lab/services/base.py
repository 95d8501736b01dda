"""The HTTP server every lab service runs: ``/metrics``, ``/version``, ``/flags``, ``/admin/fault`` and
the service's own routes, with OpenTelemetry request metrics (``telemetry.py``), structured logs and the
faults a release or the lab's admin endpoint can switch on."""

from __future__ import annotations

import json
import os
import random
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from evals.lab.services.calls import CallError, Downstream, PoolTimeout
from evals.lab.services.cpu import CpuQuota, burn_cpu
from evals.lab.services.memory import SessionCache, leak_warning, resident_mb
from evals.lab.services.runtime import Endpoints, JsonLog, StateView
from evals.lab.services.telemetry import Telemetry
from evals.lab.state import read_json, record_change, update_service_state, write_json
from evals.lab.topology import CPU_LIMIT_CORES, LabLayout

__all__ = ["HttpError", "LabService", "Request", "Route", "ENV_FAULTS", "LOCAL_FAULTS", "LEAK_WARNING_EVERY_S"]

ENV_FAULTS = {
    "delay_s": "latency added to every call to a dependency (a slow outbound network path)",
    "cpu_ms": "CPU burnt per request (a hot code path)",
    "process_s": "time to process one queue message (a slow consumer)",
}
"""Faults of the service's environment: stored in its state, so every replica (and a restart) sees them."""
LOCAL_FAULTS = {
    "pool_leak": "probability a request leaks its database connection",
    "memory_leak_mb_s": "MB/s retained by a session cache that never evicts",
}
"""Faults of one pod: its container keeps them when it crashes and restarts in the pod; a rolling
restart (new pods) clears them."""
LEAK_WARNING_EVERY_S = 3.0
"""How often a leaking cache warns about its size."""


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None


Route = Callable[[Request], Any]


class LabService:
    """One process of one lab service. Subclasses add ``routes()`` and background work."""

    def __init__(
        self, layout: LabLayout, name: str, replica: int = 0, port: int | None = None, pod: str | None = None
    ) -> None:
        self.layout = layout
        self.name = name
        self.replica = replica
        self.pod = pod
        """The pod this process runs in (the supervisor names it); None outside the supervisor."""
        self.port = port if port is not None else layout.service_port(name, replica)
        self.log = JsonLog(layout.logs_dir / f"{name}.log", name, replica)
        self.state = StateView(layout, name)
        self.version = self.state.version
        self.registry = CollectorRegistry()
        self.telemetry = Telemetry(name, pod or f"{name}-{replica}", self.registry, self.version)
        self.endpoints = Endpoints(layout)
        self.downstream = Downstream(
            self.endpoints, self.telemetry, link_delay=lambda: self.state.env("delay_s"), on_slow=self.log.warning
        )
        self.faults: dict[str, float] = self._pod_faults()
        self.rng = random.Random()
        self.started_at = time.time()
        self.cache = SessionCache()
        self.cpu = CpuQuota(CPU_LIMIT_CORES)
        self._stop = threading.Event()
        self._sampled = 0

    # ----- to override -----
    def routes(self) -> dict[tuple[str, str], Route]:
        return {}

    def start_background(self) -> None:
        """Threads the service runs besides serving (a consumer loop…)."""

    # ----- serving -----
    def bind(self) -> ThreadingHTTPServer:
        """Bind the port and start the background threads; the caller runs ``serve_forever``."""
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.app = self
        self.cpu.install(self._stop, self.layout.cpu_stat_file(self.pod) if self.pod else None)
        threading.Thread(target=self._leak_loop, name="memory", daemon=True).start()
        self.start_background()
        self.log.info(f"{self.name} {self.version} started", port=self.port, pid=os.getpid())
        return server

    def serve(self) -> None:
        server = self.bind()
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            self.stop()
            server.server_close()

    def stop(self) -> None:
        self._stop.set()
        self.telemetry.shutdown()

    def dispatch(self, method: str, target: str, raw_body: bytes) -> tuple[int, bytes, str]:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            return 400, b'{"error": "body is not JSON"}', "application/json"
        request = Request(method, parts.path, query, body)
        if parts.path == "/metrics":
            return 200, generate_latest(self.registry), CONTENT_TYPE_LATEST
        builtin = self._builtin(request)
        if builtin is not None:
            status, payload = builtin
        else:
            status, payload = self._business(request)
        return status, json.dumps(payload, default=str).encode(), "application/json"

    def _builtin(self, request: Request) -> tuple[int, Any] | None:
        path, method = request.path, request.method
        try:
            if path == "/version" and method == "GET":
                return 200, {
                    "service": self.name,
                    "version": self.version,
                    "replica": self.replica,
                    "pid": os.getpid(),
                    "started_at": self.started_at,
                }
            if path == "/healthz":
                return 200, {"ok": True}
            if path == "/flags" and method == "GET":
                return 200, dict(self.state.get().get("flags", {}))
            if path == "/flags" and method == "PUT":
                return 200, self._put_flags(request.body)
            if path == "/admin/fault":
                return 200, self._admin(method, request.body)
        except HttpError as exc:
            return exc.status, {"error": str(exc)}
        return None

    def _business(self, request: Request) -> tuple[int, Any]:
        route = self.routes().get((request.method, request.path))
        if route is None:
            return 404, {"error": f"no route {request.method} {request.path}"}
        started = time.monotonic()
        try:
            self.cpu.wait()
            self._environment()
            status, payload = 200, route(request)
        except HttpError as exc:
            status, payload = exc.status, {"error": str(exc)}
            if exc.status >= 500:
                self.log.error(f"request failed: {request.method} {request.path}: {exc}", status=exc.status)
        except PoolTimeout as exc:
            status, payload = 503, {"error": str(exc)}
            self.log.error(f"{exc}", route=request.path)
        except CallError as exc:
            status = 504 if "timed out" in str(exc) else 502
            payload = {"error": str(exc)}
            self.log.error(f"upstream {exc.upstream} failed: {exc}", route=request.path, status=status)
        except Exception as exc:  # the service's own bug: a 500 and a traceback in the log
            status, payload = 500, {"error": f"{type(exc).__name__}: {exc}"}
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            self.log.error(
                f"unhandled exception in {request.method} {request.path}: Traceback (most recent call "
                f'last): File "{self.name}/{frame.name}.py", line {frame.lineno}, in {frame.name} '
                f"{type(exc).__name__}: {exc}",
                version=self.version,
            )
        elapsed = time.monotonic() - started
        self.telemetry.server_request(request.method, request.path, status, elapsed)
        if status < 400:
            self._sampled += 1
            if self._sampled % 20 == 0:
                self.log.info(f"{request.method} {request.path} answered in {elapsed * 1000:.0f} ms")
        return status, payload

    def _environment(self) -> None:
        """What the deployed release and the environment do to every request."""
        cpu_ms = self.state.env("cpu_ms")
        if cpu_ms > 0:
            burn_cpu(cpu_ms / 1000.0, self.cpu)
        if self.state.defect == "errors" and self.rng.random() < 0.4:
            compute_total(None)  # the release's regression: some orders carry no price

    # ----- flags and faults -----
    def _put_flags(self, body: Any) -> dict[str, Any]:
        if isinstance(body, dict) and "flag" in body:
            wanted = {str(body["flag"]): bool(body.get("enabled", False))}
        elif isinstance(body, dict) and body:
            wanted = {str(k): bool(v) for k, v in body.items() if k != "by"}
        else:
            raise HttpError(400, 'send {"flag": NAME, "enabled": BOOL}')
        author = str(body.get("by", "lab"))
        before: dict[str, bool] = {}

        def change(state: dict[str, Any]) -> None:
            before.update(state.setdefault("flags", {}))
            state["flags"].update(wanted)

        state = update_service_state(self.layout, self.name, change)
        for flag, enabled in wanted.items():
            if before.get(flag) != enabled:
                record_change(
                    self.layout,
                    self.name,
                    "flag",
                    f"flag {flag} turned {'on' if enabled else 'off'}",
                    version=self.version,
                    flag=flag,
                    author=author,
                )
                self.log.info(f"feature flag {flag} set to {'on' if enabled else 'off'}", by=author)
        return dict(state["flags"])

    def _admin(self, method: str, body: Any) -> dict[str, Any]:
        if method == "GET":
            return {"local": dict(self.faults), "env": dict(self.state.get().get("env", {}))}
        if method == "DELETE":
            self.faults.clear()
            self._save_pod_faults()
            self.cache.clear()
            return {"local": {}}
        if method != "POST" or not isinstance(body, dict) or "name" not in body:
            raise HttpError(400, 'POST {"name": FAULT, "value": NUMBER}; DELETE clears this process\'s faults')
        name, value = str(body["name"]), float(body.get("value", 1.0))
        if name in LOCAL_FAULTS:
            self.faults[name] = value
            self._save_pod_faults()
            return {"local": dict(self.faults)}
        if name in ENV_FAULTS:

            def change(state: dict[str, Any]) -> None:
                env = state.setdefault("env", {})
                if value:
                    env[name] = value
                else:
                    env.pop(name, None)

            return {"env": update_service_state(self.layout, self.name, change)["env"]}
        raise HttpError(400, f"unknown fault {name!r}; known: {', '.join([*LOCAL_FAULTS, *ENV_FAULTS])}")

    def _pod_faults(self) -> dict[str, float]:
        saved = read_json(self.layout.pods_dir / f"{self.pod}.json") if self.pod else None
        return {str(k): float(v) for k, v in saved.items() if k in LOCAL_FAULTS} if isinstance(saved, dict) else {}

    def _save_pod_faults(self) -> None:
        if self.pod:
            write_json(self.layout.pods_dir / f"{self.pod}.json", self.faults)

    def leaks_connection(self) -> bool:
        return self.rng.random() < self.faults.get("pool_leak", 0.0)

    def _leak_loop(self) -> None:
        """The memory-leak fault: sessions cached for ever, until the supervisor OOM-kills the process."""
        warned = 0.0
        while not self._stop.wait(0.25):
            rate = self.faults.get("memory_leak_mb_s", 0.0)
            if rate <= 0:
                self.cache.pause()
                continue
            self.cache.grow(rate)
            if time.monotonic() - warned >= LEAK_WARNING_EVERY_S and self.cache.sessions:
                warned = time.monotonic()
                self.log.warning(leak_warning(len(self.cache.sessions), resident_mb()))


def compute_total(amount: Any) -> float:
    return float(amount * 1.2)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    app: LabService


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, body, content_type = self.server.app.dispatch(self.command, self.path, raw)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        """Access lines go to the structured log, sampled; nothing to stderr."""
