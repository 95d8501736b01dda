"""Readiness: the store and each configured telemetry backend answer, or the replica is not ready (and
says which part failed); a verdict is reused for a few seconds."""

from __future__ import annotations

from pathlib import Path

from bot.readiness import CACHE_S, PROBE_QUERY, Readiness
from bot.store.incidents import open_store
from tests.support.fakehttp import Reply, recording_server
from tests.support.net import free_port
from tools.sources import Sources
from tools.sources.prometheus import PrometheusSource

VECTOR = {"status": "success", "data": {"resultType": "vector", "result": []}}
DOWN = Reply({"status": "error", "error": "storage unavailable"}, status=503)


def test_ready_when_the_store_and_prometheus_answer_and_not_when_prometheus_is_gone(tmp_path: Path) -> None:
    store = open_store(None, tmp_path)
    now = [0.0]
    with recording_server({("GET", "/api/v1/query"): VECTOR}) as server:
        readiness = Readiness(store, Sources(metrics=PrometheusSource(server.url)), clock=lambda: now[0])
        assert readiness.check() == (True, {"store": "ok", "prometheus": "ok"})
        assert server.received("GET", "/api/v1/query")[0].param("query") == PROBE_QUERY
        server.route("GET", "/api/v1/query", DOWN)
        now[0] += CACHE_S / 2
        assert readiness.check()[0], "a verdict is reused within its few seconds"
        now[0] += CACHE_S
        ready, checks = readiness.check()
    assert not ready and checks["store"] == "ok" and "503" in checks["prometheus"], checks


def test_a_prometheus_that_never_answered_is_not_ready(tmp_path: Path) -> None:
    readiness = Readiness(
        open_store(None, tmp_path), Sources(metrics=PrometheusSource(f"http://127.0.0.1:{free_port()}"))
    )
    ready, checks = readiness.check()
    assert not ready and set(checks) == {"store", "prometheus"}
