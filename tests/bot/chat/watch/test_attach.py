"""Attach-on-alert: the real alert for a service with a live early warning joins the warning's thread instead of
opening a new one; the incident starts at the warning (MTTR counts from it) and keeps the lead time. An alert
for a service nobody warned about, or after the warning died, takes its usual path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.fake_slack import Call
from bot.chat.blocks.warning import WatchActionId
from bot.chat.ids import BlockId
from tests.support.served_slack import ALERT, APPROVER, CHANNEL
from tests.support.watched import Watched

pytestmark = pytest.mark.integration


def _alert(service: str = "gateway") -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(ALERT.read_text())
    for labels in [payload["commonLabels"], *(a["labels"] for a in payload["alerts"])]:
        labels["service"] = service
    payload["groupKey"] = f'{{}}:{{alertname="HighErrorRate", service="{service}"}}'
    return payload


def _alerts_posted(watched: Watched) -> list[Call]:
    return watched.andon.fake.posts_with(BlockId.ALERT)


def test_the_alert_joins_the_warning_thread_with_its_lead_time_and_mttr_from_the_warning(watched: Watched) -> None:
    card = watched.card_of("gateway")
    thread = watched.state.thread(watched.key_of(card))
    assert thread is not None

    answer = watched.andon.http.post(f"{watched.andon.url}/alertmanager", json=_alert())

    assert answer.status_code == 202
    body = answer.json()
    assert body["status"] == "opened" and body["early_warning_lead_s"] >= 0
    posted = watched.andon.fake.wait_for(lambda: _alerts_posted(watched), what="the alert in the thread")
    assert [c.args.get("thread_ts") for c in posted] == [card.response["ts"]]  # no new thread
    watched.andon.fake.wait_for(
        lambda: [
            c for c in watched.andon.fake.posts_with(BlockId.PROGRESS) if c.args.get("thread_ts") == card.response["ts"]
        ],
        what="the investigation's progress",
    )
    incident = watched.andon.store.get(body["incident"])
    assert incident["thread_ts"] == card.response["ts"] and incident["channel"] == CHANNEL
    assert incident["warned_at"] == thread.posted_at and incident["created_at"] == thread.posted_at
    assert incident["lead_s"] == body["early_warning_lead_s"]
    repeat = watched.andon.http.post(f"{watched.andon.url}/alertmanager", json=_alert())
    assert repeat.json() == {"incident": body["incident"], "status": "attached"}  # the group finds it


def test_after_investigate_now_the_alert_attaches_to_that_incident(watched: Watched) -> None:
    card = watched.card_of("gateway")
    fake = watched.andon.fake
    watched.andon.click(WatchActionId.INVESTIGATE, watched.key_of(card), APPROVER, CHANNEL, card.response["ts"])
    opened = fake.wait_for(
        lambda: watched.andon.store.find_by_thread(CHANNEL, card.response["ts"]), what="the incident"
    )

    answer = watched.andon.http.post(f"{watched.andon.url}/alertmanager", json=_alert()).json()

    assert answer["status"] == "attached" and answer["incident"] == opened["id"]
    notes = fake.wait_for(
        lambda: [
            c
            for c in fake.calls_to("chat.postMessage")
            if c.args.get("thread_ts") == card.response["ts"] and "after this early warning" in json.dumps(c.blocks)
        ],
        what="the notice",
    )
    assert len(notes) == 1 and _alerts_posted(watched) == []
    incident = watched.andon.store.get(opened["id"])
    assert incident["lead_s"] == answer["early_warning_lead_s"] and incident["created_at"] == incident["warned_at"]
    assert len(watched.andon.store.list()) == 1


def test_an_alert_for_a_service_nobody_warned_about_opens_its_own_thread(watched: Watched) -> None:
    answer = watched.andon.http.post(f"{watched.andon.url}/alertmanager", json=_alert("payments")).json()

    assert answer["status"] == "opened" and "early_warning_lead_s" not in answer
    posted = watched.andon.fake.wait_for(lambda: _alerts_posted(watched), what="the alert's own thread")
    assert [c.args.get("thread_ts") for c in posted] == [None]
    assert watched.andon.store.get(answer["incident"])["lead_s"] is None


def test_an_alert_after_the_warning_died_opens_its_own_thread(watched: Watched) -> None:
    now = watched.andon.running.desk.deps.clock()
    watched.watcher.stop()
    watched.state.close_unseen(set(), now - 601)  # the watch stopped seeing it more than the grace ago

    answer = watched.andon.http.post(f"{watched.andon.url}/alertmanager", json=_alert()).json()

    assert answer["status"] == "opened" and "early_warning" not in answer
    posted = watched.andon.fake.wait_for(lambda: _alerts_posted(watched), what="the alert's own thread")
    assert [c.args.get("thread_ts") for c in posted] == [None]


def test_an_alert_after_the_warning_incident_was_resolved_opens_its_own_thread(watched: Watched) -> None:
    card = watched.card_of("gateway")
    watched.andon.click(WatchActionId.INVESTIGATE, watched.key_of(card), APPROVER, CHANNEL, card.response["ts"])
    opened = watched.andon.fake.wait_for(
        lambda: watched.andon.store.find_by_thread(CHANNEL, card.response["ts"]), what="the incident"
    )
    watched.andon.store.set_status(opened["id"], "resolved")

    answer = watched.andon.http.post(f"{watched.andon.url}/alertmanager", json=_alert()).json()

    assert answer["status"] == "opened" and answer["incident"] != opened["id"] and "early_warning" not in answer
    posted = watched.andon.fake.wait_for(lambda: _alerts_posted(watched), what="the alert's own thread")
    assert [c.args.get("thread_ts") for c in posted] == [None]
