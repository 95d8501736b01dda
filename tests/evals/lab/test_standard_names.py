"""The lab speaks an ordinary stack's names: OpenTelemetry semantic conventions from its services,
cAdvisor and kube-state-metrics from its supervisor, kafka_exporter's lag for its queue, the servicegraph
connector's call counts — and its Prometheus has no recording rules. Andon's signal profiles recognise
those names; what they do not read yet is listed here (``PROFILE_GAPS``)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from evals.lab.faults import FAULTS
from evals.lab.kubemetrics import Cadvisor, Container, KubeStateMetrics
from evals.lab.monitoring import RULE_FILES, write_configs
from evals.lab.services.db import Database
from evals.lab.services.shop import Checkout
from evals.lab.services.worker import Worker
from evals.lab.topology import LabLayout
from knowledge.documents import Runbook, load_documents
from knowledge.retrieval import bundled_paths
from tools.sources.profiles import detect

VOCABULARY = {
    "request_rate",
    "error_ratio",
    "latency_p99_seconds",
    "latency_p50_seconds",
    "cpu_usage_ratio",
    "cpu_throttled_ratio",
    "memory_usage_bytes",
    "restarts_total",
    "gc_pause_seconds",
    "replicas",
    "db_pool_in_use_ratio",
    "db_pool_wait_seconds",
    "queue_depth",
    "consumer_lag_seconds",
    "thread_pool_active_ratio",
    "upstream_error_ratio",
    "upstream_latency_seconds",
}
"""Andon's own signal names, which recording rules used to give the lab."""
STANDARD = {
    "http_server_request_duration_seconds_bucket",
    "http_server_request_duration_seconds_count",
    "db_client_connection_count",
    "db_client_connection_max",
    "kafka_consumergroup_lag",
    "kafka_consumergroup_current_offset",
    "container_memory_working_set_bytes",
    "container_cpu_usage_seconds_total",
    "container_spec_cpu_quota",
    "container_spec_cpu_period",
    "kube_pod_container_status_restarts_total",
    "kube_pod_container_status_last_terminated_reason",
    "up",
}
PROFILE_GAPS = {
    "consumer_lag_seconds": "the kafka-exporter profile reads kafka_consumergroup_lag as queue_depth only",
}
"""Signals a fault's runbook checks first that no profile derives from what the lab exports."""


def _names(text: str) -> set[str]:
    return {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}


def _exported(layout: LabLayout) -> set[str]:
    """Every sample name a lab process and the supervisor export, after some traffic."""
    checkout, db, worker = Checkout(layout, "checkout"), Database(layout, "db"), Worker(layout, "worker")
    checkout.dispatch("POST", "/orders", json.dumps({"sku": "sku-1"}).encode())  # its calls fail: no servers
    db.dispatch("POST", "/queue/publish", json.dumps({"payload": {"order": 1}}).encode())
    worker.processed(0.02)
    names: set[str] = set()
    for service in (checkout, db, worker):
        names |= _names(service.dispatch("GET", "/metrics", b"")[1].decode())
        service.stop()
    pod = {
        "metadata": {
            "name": "checkout-bcdfghjklm-x2x4q",
            "labels": {"app.kubernetes.io/name": "checkout", "pod-template-hash": "bcdfghjklm"},
        },
        "status": {
            "containerStatuses": [
                {
                    "name": "checkout",
                    "ready": True,
                    "restartCount": 1,
                    "state": {},
                    "lastState": {"terminated": {"reason": "OOMKilled"}},
                }
            ]
        },
    }
    registry = CollectorRegistry()
    layout.cpu_stat_file(pod["metadata"]["name"]).parent.mkdir(parents=True, exist_ok=True)
    layout.cpu_stat_file(pod["metadata"]["name"]).write_text("nr_periods 10\nnr_throttled 2\nthrottled_usec 900\n")
    registry.register(Cadvisor(layout, lambda: [Container(pod["metadata"]["name"], "checkout", os.getpid())]))
    registry.register(KubeStateMetrics(lambda: [pod], lambda: {"checkout": 1}))
    return names | _names(generate_latest(registry).decode())


def test_the_lab_prometheus_has_no_recording_rules(layout: LabLayout) -> None:
    write_configs(layout, "http://127.0.0.1:9/alertmanager")
    config = yaml.safe_load((layout.prometheus_dir / "prometheus.yml").read_text())
    assert config["rule_files"] == [str(p) for p in RULE_FILES]
    rules = [r for path in RULE_FILES for g in yaml.safe_load(path.read_text())["groups"] for r in g["rules"]]
    assert rules and not [r["record"] for r in rules if "record" in r], "alert rules only"
    assert not Path(RULE_FILES[0]).with_name("recording-rules.yml").exists()


def test_alert_rules_are_written_on_standard_names() -> None:
    data = yaml.safe_load(RULE_FILES[0].read_text())
    exprs = [str(r["expr"]) for g in data["groups"] for r in g["rules"]]
    selected = {m for expr in exprs for m in re.findall(r"\b([a-z_:][a-z0-9_:]*)\s*[{\[]", expr)}
    assert selected <= STANDARD, selected - STANDARD
    assert not selected & VOCABULARY


def test_services_and_supervisor_export_standard_names_that_andon_profiles_detect(layout: LabLayout) -> None:
    names = _exported(layout)
    assert not [n for n in names if n.startswith("lab_")], "no lab-only names"
    assert not names & VOCABULARY, "no Andon names: nothing records them any more"
    assert {
        "http_server_request_duration_seconds_bucket",
        "http_client_request_duration_seconds_bucket",
        "traces_service_graph_request_total",
        "db_client_connection_count",
        "db_client_connection_max",
        "kafka_consumergroup_lag",
        "container_cpu_usage_seconds_total",
        "container_memory_working_set_bytes",
        "container_cpu_cfs_throttled_periods_total",
        "container_cpu_cfs_periods_total",
        "kube_pod_container_status_restarts_total",
        "kube_pod_status_ready",
    } <= names
    detected = {p.name for p in detect(names)}
    assert {"otel-http", "cadvisor", "kube-state-metrics", "kafka-exporter"} <= detected


def test_profiles_derive_what_the_faults_runbooks_check_first_but_the_known_gaps(layout: LabLayout) -> None:
    runbooks = {d.id: d for d in load_documents(bundled_paths()[:1]) if isinstance(d, Runbook)}
    derived = {s.signal for p in detect(_exported(layout)) for s in p.signals}
    for chosen in FAULTS.values():
        if not chosen.symptomatic:
            continue
        strongest = max(runbooks[chosen.runbook].checks, key=lambda c: c.weight if c.metric else 0)
        assert strongest.metric is None or strongest.metric in derived or strongest.metric in PROFILE_GAPS, (
            chosen.name,
            strongest.metric,
        )
