"""The watch through a Prometheus outage, over real HTTP: a loopback server speaking Prometheus' query API feeds
the live source (``PrometheusSource`` with its retrying client, as ``andon watch`` and ``andon serve`` build
it); the watch loop runs on its own thread; the server goes away and comes back on the same port. The watch says
once that it is blind, keeps scanning without a word, says once that it watches again, and warns again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from bot.settings import load_settings
from bot.sources import build_live_sources
from bot.store import IncidentStore
from bot.watch import Scanner, ScanReport, WatchParams, WatchState, watch_forever
from tests.support.fakehttp import RecordedRequest, Reply, recording_server

pytestmark = pytest.mark.integration

STEP_AGO_S = 300.0
"""payments' p99 steps from 0.2 s to 1.4 s this long before the server started: a warning once it answers."""


def _series(start: float, end: float, step: float, stepped_at: float) -> list[dict[str, object]]:
    times = np.arange(start, end + step / 2, step)
    rng = np.random.default_rng(int(start) % 1000)
    out = []
    for service, metric, level, noise in (
        ("payments", "latency_p99_seconds", 0.2, 0.01),
        ("payments", "request_rate", 120.0, 4.0),
        ("search", "latency_p99_seconds", 0.3, 0.01),
        ("search", "request_rate", 300.0, 9.0),
    ):
        values = rng.normal(level, noise, len(times))
        if service == "payments" and metric == "latency_p99_seconds":
            values[times >= stepped_at] += 1.2
        out.append(
            {
                "metric": {"__name__": metric, "service": service},
                "values": [[float(t), f"{v:.6f}"] for t, v in zip(times, values, strict=True)],
            }
        )
    return out


def _prometheus_api(stepped_at: float) -> Callable[[RecordedRequest], Reply]:
    """Prometheus' query API, for every path: the two services' series, their metric names, a scrape interval,
    and an empty vector for anything else. Each answer closes its connection, so no kept-alive connection
    outlives the server: once it is gone, Prometheus is unreachable."""

    def answer(request: RecordedRequest) -> Reply:
        query = {k: v[-1] for k, v in request.query.items()}
        data: object = {"resultType": "vector", "result": []}
        if request.path == "/api/v1/query_range":
            vocabulary = "latency_p99_seconds" in query.get("query", "")
            result = (
                _series(float(query["start"]), float(query["end"]), float(query["step"]), stepped_at)
                if vocabulary
                else []
            )
            data = {"resultType": "matrix", "result": result}
        elif request.path == "/api/v1/label/__name__/values":
            data = ["latency_p99_seconds", "request_rate"]
        elif request.path == "/api/v1/status/config":
            data = {"yaml": "global:\n  scrape_interval: 15s\n"}
        return Reply({"status": "success", "data": data}, headers={"Connection": "close"})

    return answer


@contextmanager
def prometheus_on(port: int, stepped_at: float) -> Iterator[str]:
    with recording_server(fallback=_prometheus_api(stepped_at), port=port) as server:
        yield server.url


def _wait(reports: list[ScanReport], done: Callable[[list[ScanReport]], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not done(list(reports)):
        assert time.monotonic() < deadline, f"timed out waiting for {what}; saw {[r.summary() for r in reports]}"
        time.sleep(0.05)


def test_the_watch_says_once_it_is_blind_then_recovers_when_prometheus_comes_back(
    store: IncidentStore, tmp_path: Path
) -> None:
    stepped_at = time.time() - STEP_AGO_S
    reports: list[ScanReport] = []
    stop = threading.Event()
    with prometheus_on(0, stepped_at) as url:
        port = int(url.rsplit(":", 1)[1])
        sources = build_live_sources(load_settings(data_dir=tmp_path / "data", prometheus_url=url))
        assert sources.metrics is not None
        scanner = Scanner(sources.metrics, WatchState(store.db), watch=WatchParams(cooldown_s=3600.0))
        loop = threading.Thread(target=watch_forever, args=(scanner, 0.2, reports.append, stop), daemon=True)
        loop.start()
        _wait(reports, lambda seen: any(r.warnings for r in seen), "a first warning")
    try:
        # Prometheus is gone: its port refuses connections
        _wait(reports, lambda seen: sum(1 for r in seen if r.blind) >= 3, "three blind scans")
        with prometheus_on(port, stepped_at):
            _wait(
                reports,
                lambda seen: (
                    any(r.recovered for r in seen)
                    and not seen[-1].blind
                    and seen[-1] is not next(r for r in seen if r.recovered)
                ),
                "scans after the recovery",
            )
            stop.set()
            loop.join(timeout=30)
    finally:
        stop.set()

    assert not loop.is_alive()
    blind = [r for r in reports if r.blind]
    told = [n for r in reports for n in r.notices()]
    assert [r.blind_new for r in blind] == [True] + [False] * (len(blind) - 1)  # said once, not every scan
    assert blind[0].blind.startswith(f"blind: BackendError: Prometheus at {url} unreachable")  # type: ignore[union-attr]
    assert all(r.warnings == [] and r.forecasts == [] for r in blind)  # blind is neither healthy nor a finding
    assert told.count(blind[0].blind) == 1 and told.count("watching again: the metrics source answers") == 1
    first_back = reports.index(next(r for r in reports if r.recovered))
    assert reports[first_back - 1].blind and all(not r.blind for r in reports[first_back:])
    assert any(w.service == "payments" for w in reports[-1].warnings)  # watching again, and still warning
    assert [w.new for r in reports for w in r.warnings if w.service == "payments"].count(True) == 1  # its cooldown
    assert WatchState(store.db).blind() is None and WatchState(store.db).last_scan()["blind"] is None  # type: ignore[index]


def test_a_call_graph_unreadable_at_start_is_read_by_the_first_scan_that_can(store: IncidentStore) -> None:
    from tests.bot.watch.conftest import T0, FakeMetrics
    from tests.support.watch_metrics import fleet

    answers: list[dict[str, list[str]] | Exception] = [
        ConnectionError("prometheus:9090 refused"),
        {"payments": ["search"]},
    ]
    asked = []

    def graph() -> dict[str, list[str]]:
        asked.append(1)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    scanner = Scanner(FakeMetrics(fleet()), WatchState(store.db), topology=graph)
    first = scanner.scan(T0)
    second, third = scanner.scan(T0 + 30), scanner.scan(T0 + 60)

    assert [w.service for w in first.warnings] == ["payments"]  # scanned without a graph, not stopped by it
    assert scanner.topology == {"payments": ["search"]} and len(asked) == 2  # read once it answered, then kept
    assert second.blind is None and third.blind is None
