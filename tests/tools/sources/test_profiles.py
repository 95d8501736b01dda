"""Signal profiles: every template is valid PromQL (checked by the real promtool), pods fold into their
workloads, derived series' keys parse back, detection follows the server's metric names, every signal a
profile makes is a name of the vocabulary, and the docs list every profile."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.servers import require_binary
from tools.rca.vocabulary import known_names
from tools.sources.profiles import detect, load_profiles, parse_selector, query, workload_of

ROOT = Path(__file__).resolve().parents[3]


def test_every_template_is_valid_promql_for_all_services_and_for_one(tmp_path: Path) -> None:
    promtool = require_binary("promtool", "/usr/bin/promtool")
    rules = []
    for profile in load_profiles():
        label = profile.service_labels[0]
        for derived in profile.signals:
            for where in (None, {"service": 'we"ird\\svc', "pod": "p-1", "upstream": "db"}):
                rules.append(
                    {
                        "record": f"check:{profile.name.replace('-', '_')}:{derived.signal}",
                        "expr": query(profile, derived, label, 15.0, where),
                    }
                )
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "profiles", "rules": rules}]}))
    checked = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert len(rules) >= 2 * 30


def test_a_narrowed_query_matches_the_service_by_its_label_or_by_its_pods() -> None:
    by_name = {p.name: p for p in load_profiles()}
    otel, cadvisor = by_name["otel-http"], by_name["cadvisor"]
    narrowed = query(otel, otel.signals[0], "service_name", 15.0, {"service": "api"})
    assert 'service_name="api"' in narrowed and "[60s]" in narrowed
    assert 'pod=~"api-.*"' in query(cadvisor, cadvisor.signals[0], "pod", 15.0, {"service": "api"})
    assert "[30s]" in query(otel, otel.signals[0], "service_name", 1.0), "the rate window never goes under 30 s"


@pytest.mark.parametrize(
    ("pod", "workload"),
    [
        ("checkout-7d9f8b6c5-x2x4q", "checkout"),
        ("payment-gateway-6b7f9c5d4f-4t5zq", "payment-gateway"),
        ("orders-db-0", "orders-db"),
        ("node-exporter-x2x4q", "node-exporter"),
        ("payment-service-abcde", "payment-service-abcde"),
        ("api", "api"),
    ],
)
def test_pods_fold_into_the_workload_that_owns_them(pod: str, workload: str) -> None:
    assert workload_of(pod) == workload


def test_a_derived_key_parses_back_and_other_queries_do_not() -> None:
    assert parse_selector('latency_p99_seconds{profile="otel-http",service="a\\"b"}') == (
        "latency_p99_seconds",
        {"profile": "otel-http", "service": 'a"b'},
    )
    assert parse_selector("memory_usage_bytes") == ("memory_usage_bytes", {})
    for other in ("rate(x[1m])", 'x{a=~"b"}', "sum(x)", "x{a=}"):
        assert parse_selector(other) is None, other


def test_profiles_follow_the_metric_names_a_server_has() -> None:
    found = {
        p.name
        for p in detect(
            {
                "http_server_request_duration_seconds_bucket",
                "container_cpu_usage_seconds_total",
                "kube_pod_container_status_restarts_total",
                "up",
            }
        )
    }
    assert found == {"otel-http", "cadvisor", "kube-state-metrics"}
    assert detect({"up", "request_rate"}) == []


def test_every_signal_a_profile_makes_is_a_name_of_the_vocabulary() -> None:
    known = known_names()
    unknown = sorted({f"{p.name}: {s.signal}" for p in load_profiles() for s in p.signals if s.signal not in known})
    assert not unknown, f"profiles.yaml makes signals tools/rca/vocabulary.yaml does not name: {unknown}"


def test_the_docs_list_every_profile_and_its_signals() -> None:
    text = (ROOT / "docs" / "metrics.md").read_text()
    for profile in load_profiles():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{profile.name}`")), "")
        assert row, f"docs/metrics.md has no row for {profile.name}"
        assert all(f"`{s.signal}`" in row for s in profile.signals), profile.name


def test_each_pod_of_a_workload_read_from_pod_names_keeps_its_own_series() -> None:
    """cAdvisor names only pods: two pods of checkout are one service, but two series (a replaced pod's
    short series must not merge with the live one's)."""
    import numpy as np

    from tools.sources.base import Series
    from tools.sources.profiles import name_series

    profile = next(p for p in load_profiles() if p.name == "cadvisor")
    derived = profile.signals[0]
    pods = [
        Series({"pod": f"checkout-7d9f8b6c5-{suffix}"}, np.array([0.0, 15.0]), np.array([0.2, 0.3]))
        for suffix in ("x2x4q", "k8s9z")
    ]
    named = name_series(pods, profile, derived, "pod")
    assert {s.service for s in named} == {"checkout"}
    assert len({s.key() for s in named}) == 2, [s.key() for s in named]


def test_the_rate_window_holds_four_steps_and_two_scrapes_of_the_slowest_job() -> None:
    from tools.sources.profile_reader import slowest_scrape_s
    from tools.sources.profiles import rate_window

    assert rate_window(2.0, scrape_s=1.0) == "8s", "a lab scraping every second reads a CPU hog within seconds"
    assert rate_window(2.0, scrape_s=60.0) == "120s", "a 1 m scrape needs two minutes for two samples"
    assert rate_window(30.0, scrape_s=15.0) == "120s"
    config = (
        "global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: a\n  - job_name: b\n    scrape_interval: 1m\n"
    )
    assert slowest_scrape_s(config) == 60.0
    assert slowest_scrape_s("scrape_configs: []\n") == 60.0, "Prometheus' own default is 1m"
    assert slowest_scrape_s("global:\n  scrape_interval: 2s\n") == 2.0
    assert slowest_scrape_s("not: [valid") is None and slowest_scrape_s("- a list") is None
