"""A mention or a message in an incident channel opens an incident thread: ack within a second, one
progress message updated in place, then the RCA card and approval cards; retries never investigate twice."""

from __future__ import annotations

import time

import pytest

from bot.chat.ids import BlockId
from tests.support.served_slack import CHANNEL, Andon

pytestmark = pytest.mark.integration

TEXT = "checkout 5xx since 10:02, started after deploy"


def _thread_posts(andon: Andon, ts: str) -> list:
    return [c for c in andon.fake.calls_to("chat.postMessage") if c.args.get("thread_ts") == ts]


def test_mention_gets_a_threaded_ack_within_a_second_then_progress_and_an_rca_card(andon: Andon) -> None:
    ts = "1773136900.000100"
    sent = time.monotonic()
    response = andon.mention(TEXT, ts, "Ev0MENTION1")
    assert response.status_code == 200
    ack = andon.fake.wait_for(lambda: _thread_posts(andon, ts), timeout=5, what="the ack")[0]
    assert ack.at - sent <= 1.0, f"ack took {ack.at - sent:.2f}s"
    assert BlockId.PROGRESS in [b.get("block_id") for b in ack.blocks]
    assert ack.args["channel"] == "CGENERAL01"

    card = andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")[0]
    assert card.args["thread_ts"] == ts
    text = str(card.blocks)
    assert "checkout" in text and "bad deploy" in text and "rollback_deploy" in text
    assert any(b.get("block_id", "").startswith(BlockId.HYPOTHESIS) for b in card.blocks)
    assert any(b.get("block_id", "").startswith(BlockId.EVIDENCE) for b in card.blocks)

    updates = [c for c in andon.fake.calls_to("chat.update") if c.args.get("ts") == ack.response["ts"]]
    assert updates, "the progress message is updated in place"
    assert "Investigated" in str(updates[-1].blocks)
    gaps = [b.at - a.at for a, b in zip(updates[:-2], updates[1:-1], strict=False)]
    assert all(gap >= 0.9 for gap in gaps), f"progress updates are throttled to ~1/s: {gaps}"

    proposal = andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.PROPOSAL_ACTIONS), what="an approval card")[0]
    assert proposal.args["thread_ts"] == ts
    incident = andon.store.find_by_thread("CGENERAL01", ts)
    assert incident is not None and incident["report"]["root_cause"]["service"] == "checkout"


def test_retried_and_duplicate_deliveries_never_investigate_twice(andon: Andon) -> None:
    ts = "1773136901.000200"
    assert andon.mention(TEXT, ts, "Ev0RETRY01").status_code == 200
    andon.fake.wait_for(lambda: _thread_posts(andon, ts), timeout=5, what="the ack")
    # Slack retries the same event, and also delivers the message event for the same ts.
    assert andon.mention(TEXT, ts, "Ev0RETRY01", retry=1).status_code == 200
    assert andon.mention(TEXT, ts, "Ev0RETRY01", retry=2).status_code == 200
    message = {
        "type": "message",
        "user": "UREPORTER",
        "text": f"<@UANDONBOT> {TEXT}",
        "ts": ts,
        "channel": "CGENERAL01",
        "channel_type": "channel",
    }
    assert andon.event(message, "Ev0OTHERID").status_code == 200
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")
    time.sleep(1.0)
    assert len(andon.fake.posts_with(BlockId.PROGRESS)) == 1
    assert len(andon.fake.posts_with(BlockId.RCA_HEADER)) == 1
    assert len(andon.store.list()) == 1
    metrics = andon.http.get(f"{andon.url}/metrics").text
    assert 'andon_investigations_total{outcome="waiting"} 1.0' in metrics


def test_top_level_message_in_an_incident_channel_opens_an_incident_but_chatter_elsewhere_does_not(
    andon: Andon,
) -> None:
    other = {
        "type": "message",
        "user": "UREPORTER",
        "text": "lunch?",
        "ts": "1773136902.000100",
        "channel": "CRANDOM001",
    }
    assert andon.event(other, "Ev0CHATTER").status_code == 200
    alert = {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "BGRAFANA1",
        "text": "",
        "attachments": [{"title": "[FIRING:1] HighErrorRate checkout", "text": "checkout 5xx ratio above 5%"}],
        "ts": "1773136903.000100",
        "channel": CHANNEL,
    }
    assert andon.event(alert, "Ev0BOTALERT").status_code == 200
    andon.fake.wait_for(lambda: _thread_posts(andon, "1773136903.000100"), timeout=5, what="the ack")
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")
    assert not [c for c in andon.fake.calls_to("chat.postMessage") if c.args.get("channel") == "CRANDOM001"]
    incident = andon.store.find_by_thread(CHANNEL, "1773136903.000100")
    assert incident is not None and incident["services"] == ["checkout"]


def test_follow_up_questions_in_the_thread_are_answered_from_the_evidence(andon: Andon) -> None:
    ts = "1773136904.000100"
    andon.mention(TEXT, ts, "Ev0QUESTION0")
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")
    question = {
        "type": "message",
        "user": "UREPORTER",
        "text": "why not the database?",
        "ts": "1773136999.000100",
        "thread_ts": ts,
        "channel": "CGENERAL01",
    }
    assert andon.event(question, "Ev0QUESTION1").status_code == 200
    answer = andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.ANSWER), what="an answer")[0]
    assert answer.args["thread_ts"] == ts
    text = str(answer.blocks)
    assert "orders-db" in text and "checkout" in text and "[c" in text
    chatter = dict(question, text="I'll look at the dashboards", ts="1773137000.000100")
    andon.event(chatter, "Ev0QUESTION2")
    time.sleep(0.5)
    assert len(andon.fake.posts_with(BlockId.ANSWER)) == 1
    incident = andon.store.find_by_thread("CGENERAL01", ts)
    kinds = [e["kind"] for e in andon.store.timeline(incident["id"])]
    assert "question" in kinds and "message" in kinds


def test_requests_with_a_bad_or_stale_signature_are_refused(andon: Andon) -> None:
    body = (
        '{"type": "event_callback", "event_id": "Ev0BAD", '
        '"event": {"type": "app_mention", "text": "hi", "ts": "1.2", "channel": "C1"}}'
    )
    assert andon.post_signed(body, "application/json", secret="not-the-secret").status_code == 401
    assert andon.post_signed(body, "application/json", timestamp=int(time.time()) - 600).status_code == 401
    unsigned = andon.http.post(f"{andon.url}/slack/events", content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    assert not andon.fake.calls_to("chat.postMessage")


def test_rate_limited_post_is_retried_after_retry_after(andon: Andon) -> None:
    andon.fake.rate_limit("chat.postMessage", retry_after=1, times=1)
    ts = "1773136905.000100"
    andon.mention(TEXT, ts, "Ev0RATELIMIT")
    delivered = andon.fake.wait_for(lambda: _thread_posts(andon, ts), timeout=10, what="the ack after 429")[0]
    limited = [c for c in andon.fake.calls if c.method == "chat.postMessage" and c.status == 429]
    assert len(limited) == 1
    assert delivered.at - limited[0].at >= 1.0, "Retry-After honoured"
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")


def test_health_and_metrics(andon: Andon) -> None:
    health = andon.http.get(f"{andon.url}/healthz")
    assert health.status_code == 200 and health.json()["ok"] is True
    ready = andon.http.get(f"{andon.url}/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["store"] == "ok", ready.text
    metrics = andon.http.get(f"{andon.url}/metrics")
    assert metrics.status_code == 200
    for name in (
        "andon_incidents_total",
        "andon_investigations_total",
        "andon_investigation_duration_seconds",
        "andon_tool_errors_total",
        "andon_llm_tokens_total",
    ):
        assert f"# HELP {name.removesuffix('_total')}" in metrics.text or f"# HELP {name}" in metrics.text
