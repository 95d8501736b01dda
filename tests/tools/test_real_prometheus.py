"""A real Prometheus scraping a six-service exporter this test runs: after a quiet baseline one
service's error ratio jumps, and the anomaly ranking over ``PrometheusSource.candidate_series`` must
name that service first. The same server checks query, query_range, rules and alerts parsing."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import yaml

from tests.support.fakehttp import RecordedRequest, Reply, recording_server
from tests.support.servers import start_prometheus
from tools.rca.params import Params
from tools.rca.services import rank_services
from tools.sources.prometheus import BackendError, PrometheusSource

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ANOMALY_THRESHOLD = Params().anomaly_threshold

SERVICES = ["frontend", "checkout", "payments", "cart", "catalog", "shipping"]
INJECTED = "payments"
BASELINE_S = 25.0
AFTER_S = 15.0
BASE = {
    "request_rate": 120.0,
    "error_ratio": 0.01,
    "latency_p99_seconds": 0.25,
    "cpu_usage_ratio": 0.4,
    "memory_usage_bytes": 512e6,
}


class Exporter:
    """The signal-vocabulary gauges for every service with ±2% noise; ``inject`` breaks one service."""

    def __init__(self) -> None:
        self.rng = random.Random(7)
        self.broken: set[str] = set()
        self.lock = threading.Lock()

    def inject(self, service: str) -> None:
        with self.lock:
            self.broken.add(service)

    def metrics(self, request: RecordedRequest) -> Reply:
        lines = []
        with self.lock:
            for metric, base in BASE.items():
                lines.append(f"# TYPE {metric} gauge")
                for index, service in enumerate(SERVICES):
                    value = base * (1 + 0.1 * index) * (1 + self.rng.uniform(-0.02, 0.02))
                    if metric == "error_ratio" and service in self.broken:
                        value = 0.25 * (1 + self.rng.uniform(-0.02, 0.02))
                    lines.append(f'{metric}{{service="{service}"}} {value:.6g}')
        return Reply("\n".join(lines) + "\n", content_type="text/plain; version=0.0.4")


@dataclass
class Lab:
    source: PrometheusSource
    started: float
    injected_at: float


RULES = {
    "groups": [
        {
            "name": "andon-test",
            "interval": "1s",
            "rules": [
                {
                    "alert": "HighErrorRatio",
                    "expr": "error_ratio > 0.1",
                    "for": "0s",
                    "labels": {"severity": "page"},
                    "annotations": {"summary": "{{ $labels.service }} error ratio is {{ $value }}"},
                },
            ],
        }
    ]
}


def _wait_for(check: object, timeout_s: float, what: str) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except BackendError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("real-prometheus")
    rules = tmp / "rules.yml"
    rules.write_text(yaml.safe_dump(RULES))
    exporter = Exporter()
    with (
        recording_server({("GET", "/metrics"): exporter.metrics}) as target,
        start_prometheus(tmp, [target.hostport], [rules]) as url,
    ):
        source = PrometheusSource(url)
        _wait_for(lambda: len(source.query("error_ratio", time.time())) == len(SERVICES), 30, "the first scrape")
        started = time.time()
        time.sleep(BASELINE_S)
        injected_at = time.time()
        exporter.inject(INJECTED)
        time.sleep(AFTER_S)
        yield Lab(source, started, injected_at)


def test_injected_service_ranks_first(lab: Lab) -> None:
    series = lab.source.candidate_series(lab.started, time.time(), 1.0)
    assert {s.service for s in series} == set(SERVICES)
    assert {s.name for s in series} == set(BASE)

    ranked = rank_services(series, onset_hint=lab.injected_at + 2)
    top = ranked[0]
    assert top.service == INJECTED, [(r.service, r.score) for r in ranked]
    assert top.series[0].metric == "error_ratio" and top.series[0].direction == "up"
    assert top.series[0].score >= ANOMALY_THRESHOLD and top.fault_score >= ANOMALY_THRESHOLD
    assert abs(top.series[0].onset - lab.injected_at) < 5
    assert all(other.fault_score < ANOMALY_THRESHOLD for other in ranked[1:])  # ±2% noise is no anomaly
    assert all(other.score < top.score / 2 for other in ranked[1:])


def test_query_and_query_range(lab: Lab) -> None:
    now = time.time()
    (payments,) = lab.source.query(f'error_ratio{{service="{INJECTED}"}}', now)
    assert payments.labels["service"] == INJECTED and payments.labels["job"] == "andon-test"
    assert payments.values[-1] == pytest.approx(0.25, rel=0.05)

    ranged = lab.source.query_range("request_rate", lab.started, now, 1.0)
    assert len(ranged) == len(SERVICES)
    for series in ranged:
        assert len(series.times) >= BASELINE_S + AFTER_S - 5
        assert all(b - a == pytest.approx(1.0) for a, b in zip(series.times, series.times[1:], strict=False))

    with pytest.raises(BackendError, match="400"):
        lab.source.query("error_ratio{", now)


def test_alert_rules_and_firing(lab: Lab) -> None:
    (rule,) = lab.source.alert_rules()
    assert rule["name"] == "HighErrorRatio" and rule["query"] == "error_ratio > 0.1"
    assert rule["state"] == "firing"

    _wait_for(lambda: lab.source.firing(), 10, "the alert to fire")
    (alert,) = lab.source.firing()
    assert alert["labels"]["alertname"] == "HighErrorRatio"
    assert alert["labels"]["service"] == INJECTED and alert["state"] == "firing"
    assert alert["annotations"]["summary"].startswith(f"{INJECTED} error ratio is 0.2")
