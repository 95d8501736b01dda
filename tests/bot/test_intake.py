"""Intake: every trigger becomes one Incident; bad payloads give a clear error, never a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.intake import IntakeError, incident_from_trigger

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "alerts"


def test_alertmanager_webhook() -> None:
    payload = json.loads((EXAMPLES / "checkout-bad-deploy.json").read_text())
    incident = incident_from_trigger(payload)
    assert incident.source == "alertmanager" and incident.alertname == "HighErrorRate"
    assert incident.services == ["gateway"] and incident.severity == "critical"
    assert incident.group_key and incident.status == "firing"
    assert incident_from_trigger(payload).id == incident.id, "the same alert group maps to the same incident"


@pytest.mark.parametrize(
    ("labels", "service"),
    [
        (
            {
                "alertname": "KubePodCrashLooping",
                "job": "kube-state-metrics",
                "namespace": "shop",
                "pod": "checkout-7d9f8b6c5-x2x4q",
                "container": "checkout",
            },
            "checkout",
        ),  # the scrape job is no service
        ({"alertname": "KubePodNotReady", "job": "kube-state-metrics", "pod": "orders-db-0"}, "orders-db"),
        ({"alertname": "HighLatency", "service_name": "payments", "job": "otel-collector"}, "payments"),
    ],
)
def test_an_alert_names_its_workload_not_the_exporter_that_scraped_it(labels: dict[str, str], service: str) -> None:
    payload = {
        "receiver": "andon",
        "status": "firing",
        "groupKey": "{}:{}",
        "alerts": [
            {"status": "firing", "labels": labels, "annotations": {"summary": "x"}, "startsAt": "2026-12-04T10:00:00Z"}
        ],
    }
    assert incident_from_trigger(payload).services == [service]


def test_slack_text_finds_services_and_start_time() -> None:
    incident = incident_from_trigger(
        {
            "text": "<@U123> checkout 5xx since 10:02, started after deploy",
            "user": "U1",
            "channel": "C1",
            "ts": "1773136980.000100",
        },
        known_services=["checkout", "cart"],
    )
    assert incident.source == "slack" and incident.services == ["checkout"]
    assert incident.started_at < 1773136980.0


def test_a_stated_start_time_keeps_its_seconds() -> None:
    now = 1773137100.0  # 2026-03-10 10:05:00 UTC
    minute = incident_from_trigger({"text": "checkout errors since 10:02"}, now=now)
    second = incident_from_trigger({"text": "checkout errors since 10:02:37"}, now=now)
    assert minute.started_at == 1773136920.0
    assert second.started_at == minute.started_at + 37


def test_pagerduty_event() -> None:
    incident = incident_from_trigger(
        {
            "event": {
                "event_type": "incident.triggered",
                "occurred_at": "2026-01-01T10:00:00Z",
                "data": {
                    "id": "Q1",
                    "title": "payments latency",
                    "service": {"summary": "payments"},
                    "urgency": "high",
                },
            }
        }
    )
    assert incident.source == "pagerduty" and incident.services == ["payments"]


@pytest.mark.parametrize("payload", [{}, {"alerts": []}, {"alerts": "x"}, {"foo": 1}, "", 42, {"text": "  "}])
def test_bad_triggers_are_clear_errors(payload: Any) -> None:
    with pytest.raises(IntakeError):
        incident_from_trigger(payload)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["alerts", "text", "event", "title", "state", "status", "commonLabels", "groupKey", "startsAt"]
        ),
        json_values,
        max_size=5,
    )
)
def test_fuzzed_payloads_never_crash(payload: dict[str, Any]) -> None:
    try:
        incident = incident_from_trigger(payload)
    except IntakeError:
        return
    assert incident.id and isinstance(incident.services, list)
