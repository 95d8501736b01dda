"""Grafana's and PagerDuty's webhooks open incident threads like Alertmanager's: Grafana unified alerting
posts the Alertmanager shape to /grafana; PagerDuty v3 events come to /pagerduty, signed with the
subscription's secret (a bad or missing signature is 401), and the events of one PagerDuty incident
share one thread."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.fake_slack import FakeSlack
from bot.chat.ids import BlockId
from tests.support.served_slack import ALERT, CHANNEL, Andon, serving

pytestmark = pytest.mark.integration
PD_SECRET = "pd-whsec-7c1e"

PD_TRIGGERED = {
    "event": {
        "id": "01DEN3G2OT0HR4R5MZ2JB3JZC8",
        "event_type": "incident.triggered",
        "resource_type": "incident",
        "occurred_at": "2026-03-10T10:04:00.000Z",
        "agent": None,
        "client": None,
        "data": {
            "id": "Q2JJ4KWPBHR4PZ",
            "type": "incident",
            "self": "https://api.pagerduty.com/incidents/Q2JJ4KWPBHR4PZ",
            "html_url": "https://acme.pagerduty.com/incidents/Q2JJ4KWPBHR4PZ",
            "number": 2841,
            "status": "triggered",
            "incident_key": "checkout-5xx",
            "created_at": "2026-03-10T10:04:00Z",
            "title": "checkout 5xx ratio above 5% after deploy",
            "urgency": "high",
            "service": {"id": "PSVC123", "type": "service_reference", "summary": "checkout"},
        },
    }
}


def _signed(body: bytes, secret: str = PD_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-PagerDuty-Signature": f"v1=deadbeef,v1={digest}"}


@pytest.fixture
def guarded(fake_slack: FakeSlack, tmp_path: Path, slack_kb: Any) -> Iterator[Andon]:
    with serving(fake_slack, tmp_path, slack_kb, pagerduty_secret=PD_SECRET) as served:
        yield served


def test_a_signed_pagerduty_event_opens_a_thread_and_its_resolution_mitigates(guarded: Andon) -> None:
    body = json.dumps(PD_TRIGGERED).encode()
    opened = guarded.http.post(f"{guarded.url}/pagerduty", content=body, headers=_signed(body))
    assert opened.status_code == 202 and opened.json()["status"] == "opened"
    guarded.fake.wait_for(lambda: guarded.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")
    incident = guarded.store.get(opened.json()["incident"])
    assert incident["channel"] == CHANNEL and "checkout" in incident["title"]

    resolved = copy.deepcopy(PD_TRIGGERED)
    resolved["event"].update(id="01DEN3G2OT0HR4R5MZ2JB3JZC9", event_type="incident.resolved")
    resolved["event"]["data"]["status"] = "resolved"
    body = json.dumps(resolved).encode()
    answer = guarded.http.post(f"{guarded.url}/pagerduty", content=body, headers=_signed(body))
    assert answer.json() == {"incident": incident["id"], "status": "mitigated"}


@pytest.mark.parametrize(
    "headers", [{}, {"X-PagerDuty-Signature": "v1=00"}, {"X-PagerDuty-Signature": "v0=abc"}, "wrong secret"]
)
def test_a_pagerduty_event_without_the_right_signature_is_refused(guarded: Andon, headers: Any) -> None:
    body = json.dumps(PD_TRIGGERED).encode()
    sent = (
        _signed(body, "not-the-secret")
        if headers == "wrong secret"
        else {"Content-Type": "application/json", **headers}
    )
    response = guarded.http.post(f"{guarded.url}/pagerduty", content=body, headers=sent)
    assert response.status_code == 401 and "X-PagerDuty-Signature" in response.json()["error"]
    assert guarded.store.list() == []


def test_grafana_unified_alerting_opens_a_thread(andon: Andon) -> None:
    payload = json.loads(ALERT.read_text())
    payload.update(
        orgId=1,
        title="[FIRING:1] HighErrorRate gateway",
        state="alerting",
        message="gateway 5xx ratio above 5% for 2 minutes",
        version="1",
    )
    answer = andon.http.post(f"{andon.url}/grafana", json=payload)
    assert answer.status_code == 202 and answer.json()["status"] == "opened"
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")


OPSGENIE_CREATE = {
    "action": "Create",
    "integrationId": "8f2c1b9e-1c0f-4c6e-9a7b-2f1d0e8c7a6b",
    "integrationName": "Andon",
    "integrationType": "Webhook",
    "source": {"name": "", "type": "API"},
    "alert": {
        "alertId": "70413a06-38d6-4c85-92b8-5ebc900d42e2-1773136900000",
        "message": "checkout 5xx ratio above 5%",
        "tags": ["service:checkout", "team:payments"],
        "tinyId": "1791",
        "entity": "checkout",
        "alias": "checkout-5xx",
        "createdAt": 1773136900000,
        "username": "System",
        "userId": "",
        "description": "error ratio 7% over 5m after the 10:02 deploy",
        "priority": "P1",
        "details": {"namespace": "shop"},
    },
}


def test_an_opsgenie_alert_opens_a_thread_its_acknowledgement_does_nothing_and_its_close_mitigates(
    andon: Andon,
) -> None:
    opened = andon.http.post(f"{andon.url}/opsgenie", json=OPSGENIE_CREATE)
    assert opened.status_code == 202 and opened.json()["status"] == "opened", opened.text
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")
    incident = andon.store.get(opened.json()["incident"])
    assert incident["services"] == ["checkout"] and incident["severity"] == "critical"

    acked = andon.http.post(f"{andon.url}/opsgenie", json={**OPSGENIE_CREATE, "action": "Acknowledge"})
    assert acked.status_code == 200 and acked.json()["status"] == "ignored"
    closed = andon.http.post(f"{andon.url}/opsgenie", json={**OPSGENIE_CREATE, "action": "Close"})
    assert closed.json() == {"incident": incident["id"], "status": "mitigated"}
