"""``GET /healthz`` (the process answers), ``GET /readyz`` (the store and the telemetry backends answer)
and ``GET /metrics`` (Prometheus exposition)."""

from __future__ import annotations

from starlette.responses import Response

from bot.chat.metrics import Metrics
from bot.readiness import Readiness
from bot.slack.edge.responses import json_response

__all__ = ["Probes"]


class Probes:
    def __init__(self, mode: str, readiness: Readiness, metrics: Metrics) -> None:
        self.mode = mode
        self.readiness = readiness
        self.metrics = metrics

    def health(self) -> Response:
        return json_response(200, {"ok": True, "mode": self.mode})

    def ready(self) -> Response:
        """Blocking (it asks the backends, at most once per the readiness cache): run it off the event loop."""
        ready, checks = self.readiness.check()
        return json_response(200 if ready else 503, {"ready": ready, "checks": checks})

    def exposition(self) -> Response:
        body, content_type = self.metrics.exposition()
        return Response(body, media_type=content_type)
