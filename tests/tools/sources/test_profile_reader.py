"""A real Prometheus holding an hour of standard names only (OpenTelemetry HTTP histograms, cAdvisor,
kube-state-metrics, a servicegraph metric; no recording rules, no configured topology): the profiles are
detected, every service's signals are read, the call graph comes from the servicegraph metric, a derived
series can be looked back at by its key, and ``andon investigate`` names the slow service while ``andon
doctor --json`` lists what it found."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.standard_stack import (
    CALLS,
    CONSUMER,
    FAULT_AGO_S,
    LIMITED,
    NEVER_FAILED,
    POOLED,
    SERVICES,
    SLOW,
    standard_prometheus,
)
from tools.sources.prometheus import PrometheusSource

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, float]]:
    with standard_prometheus(tmp_path_factory.mktemp("standard")) as running:
        yield running


def test_profiles_are_detected_and_every_service_gets_its_signals(prometheus: tuple[str, float]) -> None:
    url, end = prometheus
    source = PrometheusSource(url)
    detected = {p["name"]: p["service_label"] for p in source.profiles.summary()}
    assert source.profiles.scrape_s() == 15.0, "the rate window follows the server's own scrape interval"
    assert source.scrape_s() == 15.0, "and so does the step verify reads a counter at"
    assert detected == {
        "otel-http": "service_name",
        "otel-db-client": "service_name",
        "otel-messaging": "service_name",
        "cadvisor": "pod",
        "kube-state-metrics": "pod",
    }, detected
    series = source.candidate_series(end - 1800, end, 30)
    signals = {(s.service, s.name) for s in series}
    for service in SERVICES:
        assert {
            (service, "latency_p99_seconds"),
            (service, "request_rate"),
            (service, "cpu_usage_ratio"),
            (service, "memory_usage_bytes"),
            (service, "restarts_total"),
        } <= signals, service
    assert all((service, "error_ratio") in signals for service in SERVICES), "a ratio for every service"
    never = [s for s in series if s.service == NEVER_FAILED and s.name == "error_ratio"]
    assert never and all(float(v) == 0.0 for s in never for v in s.values if v == v), "no 5xx series reads as 0"
    assert ("checkout", "upstream_latency_seconds") in signals
    cpu = {s.service: float(s.values[-1]) for s in series if s.name == "cpu_usage_ratio"}
    assert 0.3 < cpu[LIMITED] < 0.5, "cAdvisor CPU is read over the container's limit (0.2 core of 0.5)"
    assert all(0.15 < v < 0.25 for k, v in cpu.items() if k != LIMITED), "in cores where no limit is set"
    processing = [s for s in series if s.service == CONSUMER and s.name == "latency_p99_seconds"]
    assert processing and 0.05 < float(processing[0].values[-1]) < 1.0, "a consumer's time per message is its latency"
    pool = [s for s in series if s.service == POOLED and s.name == "db_pool_in_use_ratio"]
    assert pool and 0.2 < float(pool[0].values[0]) < 0.6, "used / max of the OpenTelemetry db client pool"
    assert all(
        s.labels.get("upstream") == SLOW
        for s in series
        if s.service == "checkout" and s.name == "upstream_latency_seconds" and s.values[-1] > 0.5
    )


def test_the_call_graph_comes_from_the_servicegraph_metric(prometheus: tuple[str, float]) -> None:
    url, _ = prometheus
    origin, graph = PrometheusSource(url).profiles.topology()
    assert origin == "servicegraph"
    assert graph == {k: sorted(v) for k, v in CALLS.items() if v}


def test_a_derived_series_is_looked_back_at_by_its_key(prometheus: tuple[str, float]) -> None:
    url, end = prometheus
    source = PrometheusSource(url)
    slow = next(
        s for s in source.candidate_series(end - 1800, end, 30) if s.service == SLOW and s.name == "latency_p99_seconds"
    )
    again = source.query_range(slow.key(), end - 3000, end, 60)
    assert [s.service for s in again] == [SLOW]
    before = again[0].values[again[0].times < end - FAULT_AGO_S - 120]
    after = again[0].values[again[0].times > end - FAULT_AGO_S + 120]
    assert len(before) > 20 and before.max() < 0.2 < 1.0 < after.min()


def _andon(*args: str, url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "andon", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={
            "PATH": "/usr/bin:/bin",
            "ANDON_DATA_DIR": str(data_dir),
            "HOME": str(data_dir),
            "ANDON_PROMETHEUS_URL": url,
        },
    )


def test_investigate_names_the_slow_service_and_doctor_lists_what_it_found(
    prometheus: tuple[str, float], tmp_path: Path
) -> None:
    url, _ = prometheus
    result = _andon("investigate", "--text", "checkout is slow", "--json", url=url, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["root_cause"]["service"] == SLOW, report["hypotheses"][:3]

    doctor = _andon("doctor", "--json", url=url, data_dir=tmp_path)
    assert doctor.returncode == 0, doctor.stderr[-3000:]
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["backends"]}
    metrics = checks["prometheus"]
    assert metrics["reachable"] and not metrics["error"]
    assert {p["name"] for p in metrics["details"]["profiles"]} == {
        "otel-http",
        "otel-db-client",
        "otel-messaging",
        "cadvisor",
        "kube-state-metrics",
    }
    assert "latency_p99_seconds" in metrics["details"]["services"][SLOW]
    assert metrics["details"]["topology"]["from"] == "servicegraph"
    assert not checks["alertmanager"]["configured"]


def test_doctor_reports_an_unreachable_prometheus_and_exits_1(tmp_path: Path) -> None:
    from tests.support.net import free_port

    doctor = _andon("doctor", "--json", url=f"http://127.0.0.1:{free_port()}", data_dir=tmp_path)
    assert doctor.returncode == 1, doctor.stderr[-3000:]
    metrics = next(c for c in json.loads(doctor.stdout)["backends"] if c["name"] == "prometheus")
    assert not metrics["reachable"] and "unreachable" in metrics["error"]
