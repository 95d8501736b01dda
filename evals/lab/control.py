"""The supervisor's HTTP API on loopback: the change feed and the Kubernetes-style API Andon reads,
cAdvisor and kube-state-metrics series for Prometheus (``kubemetrics.py``), status, and the operations actuators use
(rolling restart,
scale, shutdown).

    GET  /changes?since=&until=        JSON list of {ts, service, kind, version, previous_version, description, flag}
    GET  /api/v1/…, /apis/apps/v1/…    pods, events, nodes, deployments, replicasets (see ``cluster.py``)
    GET  /metrics                      container_* (cAdvisor), kube_pod_*, kube_deployment_* (kube-state-metrics)
    GET  /status
    POST /services/<service>/restart   rolling restart
    POST /services/<service>/scale     {"replicas": N}
    POST /shutdown
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from evals.lab.cluster import kube_answer
from evals.lab.state import read_changes

if TYPE_CHECKING:
    from evals.lab.supervisor import Supervisor

__all__ = ["serve_control"]


def _number(query: dict[str, list[str]], key: str) -> float | None:
    try:
        return float(query[key][-1]) if query.get(key) and query[key][-1] else None
    except ValueError:
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    supervisor: Supervisor


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        supervisor = self.server.supervisor
        if parts.path == "/changes":
            self._send(200, read_changes(supervisor.layout, _number(query, "since"), _number(query, "until")))
        elif parts.path == "/metrics":
            self._send(200, generate_latest(supervisor.registry), CONTENT_TYPE_LATEST)
        elif parts.path == "/status":
            self._send(200, supervisor.status())
        elif parts.path == "/healthz":
            self._send(200, {"ok": True})
        else:
            answer = kube_answer(supervisor.layout, parts.path, query, supervisor.pods, supervisor.events)
            self._send(*(answer or (404, {"error": f"no route GET {parts.path}"})))

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length)) if length else {}
        except ValueError:
            self._send(400, {"error": "body is not JSON"})
            return
        supervisor = self.server.supervisor
        parts = urlsplit(self.path).path.strip("/").split("/")
        try:
            if parts == ["shutdown"]:
                supervisor.stopping.set()
                self._send(200, {"stopping": True})
            elif len(parts) == 3 and parts[0] == "services" and parts[2] == "restart":
                self._send(200, supervisor.rolling_restart(parts[1]))
            elif len(parts) == 3 and parts[0] == "services" and parts[2] == "scale":
                self._send(200, supervisor.scale(parts[1], int(body.get("replicas", 1))))
            else:
                self._send(404, {"error": f"no route POST {self.path}"})
        except (ValueError, KeyError) as exc:
            self._send(400, {"error": str(exc)})

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass


def serve_control(supervisor: Supervisor) -> ThreadingHTTPServer:
    """Start the control API on the lab's control port in a background thread."""
    server = _Server(("127.0.0.1", supervisor.layout.control_port), _Handler)
    server.supervisor = supervisor
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="control", daemon=True).start()
    return server
