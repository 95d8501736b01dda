"""The lab's plumbing without its processes: releases and the change feed, the supervisor's control
API, the webhook receiver, experiment-scoped sources, the learned incident and the Slack-like view."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import numpy as np
import pytest
from rich.console import Console

from bot.charts.sparkline import spark_key
from evals.lab.client import LabClient, LabError
from evals.lab.learning import learned_incident
from evals.lab.sources import ExperimentChanges, ExperimentKube, ExperimentMetrics, lab_settings
from evals.lab.state import read_changes, record_change, update_lab, write_json
from evals.lab.topology import LabLayout
from evals.lab.transcript import SlackTranscript
from evals.lab.webhook import AlertReceiver
from tests.support.net import free_port
from tools.sources import Change, KubeEvent, Series


def _client(layout: LabLayout, seen: list[str]) -> LabClient:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return httpx.Response(200, json={"service": request.url.path.split("/")[2], "restarted": ["x/0"]})

    return LabClient(layout, httpx.Client(transport=httpx.MockTransport(answer)))


def test_deploy_and_rollback_record_changes_and_roll_the_processes(layout: LabLayout) -> None:
    seen: list[str] = []
    client = _client(layout, seen)
    client.deploy("payments", "2.4.0", defect="errors", description="release 2.4.0", author="ci")
    state = client.state("payments")
    assert state["version"] == "2.4.0" and state["defects"] == {"2.4.0": "errors"}
    assert seen == ["POST /services/payments/restart"]
    assert client.previous_version("payments") == "2.3.1"
    client.rollback("payments", author="andon")
    assert client.state("payments")["version"] == "2.3.1"
    deploy, rollback = read_changes(layout)
    assert deploy == {
        **deploy,
        "service": "payments",
        "kind": "deploy",
        "version": "2.4.0",
        "previous_version": "2.3.1",
        "author": "ci",
    }
    assert rollback["version"] == "2.3.1" and rollback["previous_version"] == "2.4.0"
    assert "rollback" in rollback["description"]
    with pytest.raises(LabError, match="never ran"):
        client.rollback("payments", "0.0.1")
    with pytest.raises(LabError, match="already runs"):
        client.deploy("payments", "2.3.1")


def test_change_feed_served_by_the_supervisor_in_the_changefeed_format(layout: LabLayout) -> None:
    from evals.lab.control import serve_control
    from evals.lab.supervisor import Supervisor
    from tools.sources.changefeed import ChangeFeedSource

    layout = LabLayout(layout.root, free_port())
    now = time.time()
    record_change(layout, "payments", "deploy", "release", version="2.4.0", previous_version="2.3.1", ts=now - 100)
    record_change(layout, "checkout", "flag", "flag on", flag="new-tax-engine", ts=now - 10)
    supervisor = Supervisor(layout)
    server = serve_control(supervisor)
    try:
        feed = ChangeFeedSource(layout.change_feed_url)
        changes = feed.changes(now - 50, now)
        assert [(c.service, c.kind, c.flag) for c in changes] == [("checkout", "flag", "new-tax-engine")]
        assert len(feed.changes(now - 200, now)) == 2
        metrics = httpx.get(f"{layout.control_url}/metrics").text
        assert 'kube_deployment_spec_replicas{deployment="inventory",namespace="lab"} 1.0' in metrics
        assert "lab_" not in metrics, "kube-state-metrics' and cAdvisor's names only"
        assert httpx.post(f"{layout.control_url}/services/db/scale", json={"replicas": 2}).status_code == 400
    finally:
        server.shutdown()
        server.server_close()


def _payload(starts: str, status: str = "firing") -> dict[str, Any]:
    return {
        "status": status,
        "groupKey": "g",
        "commonLabels": {"alertname": "HighErrorRate"},
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": "HighErrorRate", "service": "payments"},
                "annotations": {"summary": "payments 5xx"},
                "startsAt": starts,
            }
        ],
    }


def test_the_receiver_waits_for_a_fresh_page() -> None:
    with AlertReceiver(free_port()) as receiver:
        since = time.time()
        httpx.post(receiver.url, json=_payload("2020-01-01T00:00:00Z"))
        assert receiver.first_page(since, timeout_s=0.3) is None, "a leftover of an earlier fault is not the page"
        fresh = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
        httpx.post(receiver.url, json=_payload(fresh))
        page = receiver.first_page(since, timeout_s=2.0)
        assert page is not None and page.firing[0]["labels"]["service"] == "payments"
        assert httpx.post(receiver.url, content=b"not json").status_code == 400


class _Recorder:
    def __init__(self) -> None:
        self.asked: list[tuple[float, float, float]] = []

    def query_range(self, query: str, start: float, end: float, step: float) -> list[Series]:
        return []

    def query(self, query: str, at: float) -> list[Series]:
        return []

    def candidate_series(self, start: float, end: float, step: float) -> list[Series]:
        self.asked.append((start, end, step))
        return [Series({"__name__": "error_ratio", "service": "x"}, np.array([start]), np.array([0.0]))]

    def changes(self, start: float, end: float, service: str | None = None) -> list[Change]:
        self.asked.append((start, end, 0.0))
        return []

    def events(self, since: float, service: str | None = None) -> list[KubeEvent]:
        self.asked.append((since, 0.0, 0.0))
        return []


def test_experiment_sources_see_only_the_current_experiment_at_the_lab_resolution(layout: LabLayout) -> None:
    now = time.time()
    write_json(layout.state_file, {"epoch": now - 120})
    inner = _Recorder()
    ExperimentMetrics(inner, layout).candidate_series(now - 3720, now, 30.0)
    start, end, step = inner.asked[-1]
    assert start == pytest.approx(now - 120) and step == 2.0
    ExperimentChanges(inner, layout).changes(now - 3600, now)
    assert inner.asked[-1][0] == pytest.approx(now - 120)
    ExperimentKube(inner, layout).events(now - 3600)  # type: ignore[arg-type]
    assert inner.asked[-1][0] == pytest.approx(now - 120), "an earlier experiment's back-offs are history"
    update_lab(layout, lambda s: s.update(epoch=now + 30))
    ExperimentMetrics(inner, layout).candidate_series(now - 3720, now, 30.0)
    assert inner.asked[-1][0] == pytest.approx(now - 30), "never less than half a minute of data"


def test_lab_settings_point_andon_at_the_lab(layout: LabLayout) -> None:
    from bot.settings import load_settings

    settings = lab_settings(load_settings(data_dir=layout.root), layout)
    assert settings.prometheus_url == layout.prometheus_url
    assert settings.change_feed_url == layout.change_feed_url
    assert settings.log_dir == layout.logs_dir
    assert settings.topology == {}, "the call graph comes from the servicegraph metric, not from settings"
    assert settings.kubernetes_url == layout.control_url, "the supervisor answers as a Kubernetes API"


def _summary() -> dict[str, Any]:
    return {
        "fault": "bad_deploy",
        "incident_id": "inc-1",
        "alert": {"alertname": "HighErrorRate", "summary": "5xx"},
        "root_cause": {"service": "payments", "category": "bad_deploy", "confidence": 0.9},
        "action": {"tool": "rollback_deploy", "args": {"service": "payments"}, "result": "roll back payments"},
        "time_to_detect_s": 11.0,
        "time_to_rca_s": 4.0,
        "mttr_s": 35.0,
        "fault_to_recovery_s": 50.0,
        "approved_by": "demo-approver",
        "verification": "error_ratio back to 0",
    }


def _report() -> dict[str, Any]:
    return {
        "hypotheses": [
            {
                "service": "payments",
                "category": "bad_deploy",
                "confidence": 0.9,
                "summary": "Error spike after a bad deploy on payments",
                "evidence": [{"call_id": "c1", "summary": "payments error_ratio 0 → 0.4", "supports": True}],
            }
        ]
    }


def test_a_resolved_incident_becomes_a_past_incident_document() -> None:
    doc = learned_incident(_summary(), _report())
    assert doc.kind == "incident" and doc.category == "bad_deploy" and doc.services == ["payments"]
    assert doc.alerts == ["HighErrorRate"] and doc.id.startswith("inc-learned-")
    assert "rollback_deploy" in doc.meta["fix"] and "## Root cause" in doc.body


def test_the_transcript_reads_like_the_slack_thread() -> None:
    console = Console(record=True, width=120)
    view = SlackTranscript(console, "demo-approver (auto)")
    proposal = {
        "id": "p-1",
        "tool": "rollback_deploy",
        "args": {"service": "payments", "to_version": "2.3.1"},
        "risk": "write",
        "effect": "back to 2.3.1",
        "undo": "redeploy",
        "hash": "h",
    }
    view("alert", {"alertname": "HighErrorRate", "service": "checkout", "summary": "checkout 5xx 14%"})
    view("progress", {"step": "intake"})
    view("progress", {"step": "tool", "tool": "rank_anomalies"})
    view("progress", {"step": "ranking hypotheses"})
    unrelated = {
        "doc_id": "inc-gw",
        "title": "Gateway log explosion",
        "services": ["gateway"],
        "category": "log_volume_explosion",
        "score": 0.2,
    }
    related = {
        "doc_id": "inc-pay",
        "title": "Payments bad release",
        "services": ["payments"],
        "category": "bad_deploy",
        "score": 0.13,
    }
    view(
        "rca",
        {
            "incident_id": "inc-1",
            "state": {
                "hypotheses": _report()["hypotheses"],
                "proposals": [proposal],
                "runbooks": [{"title": "Bad deploy", "doc_id": "rb-x"}],
                "similar": [unrelated, related],
            },
            "sparklines": {spark_key(_report()["hypotheses"][0]["evidence"][0]): "▁▁▁▂▅█"},
        },
    )
    view("approved", {"proposal": proposal, "by": "demo-approver"})
    view(
        "verified",
        {
            "action": {
                "tool": "rollback_deploy",
                "status": "executed",
                "result": "roll back payments",
                "at": 1_700_000_000.0,
            },
            "verification": {"checked": True, "recovered": True, "detail": "error_ratio back"},
        },
    )
    view("resolved", {"learned_doc": "inc-learned-1"})
    text = console.export_text()
    for expected in (
        "[FIRING] HighErrorRate",
        "On it",
        "rank_anomalies",
        "Root cause: payments",
        "Approve",
        "demo-approver (auto)",
        "Approved rollback_deploy",
        "Recovered",
        "inc-learned-1",
        "[c1] payments error_ratio 0 → 0.4 ▁▁▁▂▅█",
        "Similar past incident: Payments bad release (inc-pay) — same service and category",
    ):
        assert expected in text, expected
    assert "Gateway log explosion" not in text, "an unrelated past incident is not shown"
    # each message is headed by what it is and when it was posted; the action's own time is labelled in it
    assert re.search(r"Andon · action result · posted \d\d:\d\d:\d\d", text)
    assert re.search(r"rollback_deploy executed \(finished \d\d:\d\d:\d\d\): roll back payments", text)
    assert "action done" not in text
    assert json.dumps(text)
