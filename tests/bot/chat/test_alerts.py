"""The Alertmanager webhook: a new alert group opens an incident thread and is investigated; repeats of the
group attach to the open incident; a resolved notification marks it mitigated."""

from __future__ import annotations

import copy
import json
import time

import pytest

from bot.chat.ids import BlockId
from tests.support.served_slack import ALERT, CHANNEL, Andon

pytestmark = pytest.mark.integration


def _roots(andon: Andon) -> list:
    return [c for c in andon.fake.calls_to("chat.postMessage") if not c.args.get("thread_ts")]


def test_webhook_opens_an_incident_thread_and_investigates(andon: Andon) -> None:
    payload = json.loads(ALERT.read_text())
    response = andon.http.post(f"{andon.url}/alertmanager", json=payload)
    assert response.status_code == 202 and response.json()["status"] == "opened"
    root = andon.fake.wait_for(lambda: _roots(andon), what="the alert message")[0]
    assert root.args["channel"] == CHANNEL and BlockId.ALERT in str(root.blocks)
    assert "HighErrorRate" in str(root.blocks)
    card = andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")[0]
    assert card.args["thread_ts"] == root.response["ts"]
    assert "checkout" in str(card.blocks)
    incident = andon.store.get(response.json()["incident"])
    assert incident["thread_ts"] == root.response["ts"] and incident["group_key"] == payload["groupKey"]


def test_repeats_of_the_group_attach_and_resolved_marks_mitigated(andon: Andon) -> None:
    payload = json.loads(ALERT.read_text())
    opened = andon.http.post(f"{andon.url}/alertmanager", json=payload).json()
    root = andon.fake.wait_for(lambda: _roots(andon), what="the alert message")[0]
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")

    again = andon.http.post(f"{andon.url}/alertmanager", json=payload)
    assert again.status_code == 200 and again.json() == {"incident": opened["incident"], "status": "attached"}
    grown = copy.deepcopy(payload)
    extra = copy.deepcopy(grown["alerts"][0])
    extra["fingerprint"] = "ffff000011112222"
    extra["labels"]["pod"] = "gateway-55c4-abcde"
    grown["alerts"].append(extra)
    assert andon.http.post(f"{andon.url}/alertmanager", json=grown).json()["status"] == "attached"
    notice = andon.fake.wait_for(
        lambda: [c for c in andon.fake.posts_with(BlockId.NOTICE) if "fired again" in str(c.blocks)],
        what="the repeat notice",
    )
    assert notice[0].args["thread_ts"] == root.response["ts"]

    resolved = copy.deepcopy(payload)
    resolved["status"] = "resolved"
    for alert in resolved["alerts"]:
        alert["status"] = "resolved"
    answer = andon.http.post(f"{andon.url}/alertmanager", json=resolved).json()
    assert answer == {"incident": opened["incident"], "status": "mitigated"}
    andon.fake.wait_for(
        lambda: [c for c in andon.fake.posts_with(BlockId.NOTICE) if "resolved" in str(c.blocks)],
        what="the resolved notice",
    )
    time.sleep(0.3)
    assert len(_roots(andon)) == 1, "one incident thread for the whole group"
    assert len(andon.store.list()) == 1 and andon.store.get(opened["incident"])["status"] == "mitigated"
    kinds = [e["text"] for e in andon.store.timeline(opened["incident"]) if e["kind"] == "alert"]
    assert len(kinds) == 3


def test_bad_payloads_are_refused(andon: Andon) -> None:
    assert andon.http.post(f"{andon.url}/alertmanager", content=b"{not json").status_code == 400
    assert andon.http.post(f"{andon.url}/alertmanager", json={"hello": "world"}).status_code == 400
    resolved_unknown = json.loads(ALERT.read_text()) | {"status": "resolved", "groupKey": "{}:{nothing}"}
    for alert in resolved_unknown["alerts"]:
        alert["status"] = "resolved"
    assert andon.http.post(f"{andon.url}/alertmanager", json=resolved_unknown).json()["status"] == "ignored"


def test_an_alert_accepted_before_a_crash_is_resumed_once_at_start_up(
    andon: Andon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies right after its 202 (the queued work is lost with it): the next start finds the
    accepted alert, posts its thread and investigates it, once."""
    deps = andon.running.desk.deps
    real_submit = deps.submit
    monkeypatch.setattr(deps, "submit", lambda fn, *args: None)  # dies before the worker runs
    payload = json.loads(ALERT.read_text())
    accepted = andon.http.post(f"{andon.url}/alertmanager", json=payload)
    assert accepted.status_code == 202
    time.sleep(0.3)
    assert not _roots(andon) and andon.store.get(accepted.json()["incident"])["thread_ts"] is None
    monkeypatch.setattr(deps, "submit", real_submit)

    assert andon.running.desk.alerts.recover() == [accepted.json()["incident"]]
    card = andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")[0]
    assert card.args["thread_ts"] == _roots(andon)[0].response["ts"]
    assert andon.running.desk.alerts.recover() == [], "resumed once"
