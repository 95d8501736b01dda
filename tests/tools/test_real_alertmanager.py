"""A real Alertmanager routing to a webhook this test runs: an alert posted to ``/api/v2/alerts`` is
seen by ``AlertmanagerSource`` and notified to the webhook; a silence created through
``AlertmanagerActuator`` is listed and silences the alert."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.support.fakehttp import RecordingServer, recording_server
from tests.support.servers import start_alertmanager
from tools.sources.actuators import AlertmanagerActuator
from tools.sources.alertmanager import AlertmanagerSource

pytestmark = [pytest.mark.integration]

LABELS = {"alertname": "HighErrorRatio", "service": "payments", "severity": "page"}


@dataclass
class Stack:
    url: str
    source: AlertmanagerSource
    webhook: RecordingServer


def _eventually(check: Callable[[], Any], timeout_s: float = 15.0) -> Any:
    deadline = time.time() + timeout_s
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        time.sleep(0.25)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with (
        recording_server({("POST", "/hook"): {}}) as webhook,
        start_alertmanager(tmp_path_factory.mktemp("real-alertmanager"), f"{webhook.url}/hook") as url,
    ):
        now = datetime.now(tz=UTC).isoformat()
        alert = {
            "labels": LABELS,
            "annotations": {"summary": "payments error ratio is 0.25"},
            "startsAt": now,
            "generatorURL": "http://prometheus.example/graph?g0.expr=error_ratio+%3E+0.1",
        }
        httpx.post(f"{url}/api/v2/alerts", json=[alert], timeout=5).raise_for_status()
        yield Stack(url, AlertmanagerSource(url), webhook)


def test_posted_alert_is_listed(stack: Stack) -> None:
    alerts = _eventually(lambda: [a for a in stack.source.alerts() if a["labels"]["alertname"] == "HighErrorRatio"])
    assert [a["labels"] for a in alerts] == [LABELS]
    assert alerts[0]["annotations"]["summary"] == "payments error ratio is 0.25"
    assert alerts[0]["status"]["state"] == "active"


def test_webhook_receives_the_notification(stack: Stack) -> None:
    posts = _eventually(
        lambda: [
            p.json()
            for p in stack.webhook.received("POST", "/hook")
            if p.json()["groupLabels"].get("alertname") == "HighErrorRatio"
        ]
    )
    assert posts, "Alertmanager never notified the webhook of HighErrorRatio"
    payload = posts[0]
    assert payload["status"] == "firing" and payload["receiver"] == "webhook"
    assert payload["alerts"][0]["labels"] == LABELS and payload["alerts"][0]["status"] == "firing"
    assert payload["groupLabels"] == {"alertname": "HighErrorRatio", "service": "payments"}


def _names(source: AlertmanagerSource) -> set[str]:
    return {a["labels"]["alertname"] for a in source.alerts()}


def test_silence_through_actuator(stack: Stack) -> None:
    noisy = {"alertname": "DiskAlmostFull", "service": "search", "severity": "warning"}
    httpx.post(f"{stack.url}/api/v2/alerts", json=[{"labels": noisy}], timeout=5).raise_for_status()
    assert _eventually(lambda: "DiskAlmostFull" in _names(stack.source))
    actuator = AlertmanagerActuator(stack.source)
    args = {"alertname": "DiskAlmostFull", "duration": "30m", "comment": "approved by @alice in #inc-42"}
    before = stack.source.silences()

    assert actuator.execute("create_silence", "search", args, dry_run=True)["status"] == "dry_run"
    assert stack.source.silences() == before

    outcome = actuator.execute("create_silence", "search", args, dry_run=False)
    (silence,) = [s for s in stack.source.silences() if s["id"] == outcome["silence_id"]]
    assert {(m["name"], m["value"], m["isEqual"]) for m in silence["matchers"]} == {
        ("alertname", "DiskAlmostFull", True),
        ("service", "search", True),
    }
    assert silence["comment"] == "approved by @alice in #inc-42" and silence["createdBy"] == "andon"
    assert _eventually(lambda: "DiskAlmostFull" not in _names(stack.source)), "the silenced alert is still unsilenced"
    assert "HighErrorRatio" in _names(stack.source)  # the silence matches only what it names
