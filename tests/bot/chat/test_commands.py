"""``/andon`` over signed HTTP: acknowledged within 3 s (help and lists in the ack itself), slow work
answered later through response_url, unknown subcommands answered with help."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bench.fake_slack import FakeSlack
from bot.chat.ids import BlockId
from tests.support.served_slack import APPROVER, CHANNEL, OUTSIDER, Andon, serving, signed_headers

pytestmark = pytest.mark.integration


def _responses(andon: Andon, name: str) -> list:
    return [c for c in andon.fake.calls_to("response_url") if c.args.get("name") == name]


def test_help_is_acknowledged_within_three_seconds(andon: Andon) -> None:
    started = time.monotonic()
    response = andon.command("help")
    assert time.monotonic() - started <= 3.0
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    help_text = str(body["blocks"])
    for sub in (
        "investigate",
        "status",
        "incidents",
        "runbook",
        "ask",
        "resolve",
        "postmortem",
        "timeline",
        "declare",
        "help",
    ):
        assert f"/andon {sub}" in help_text


def test_unknown_or_empty_subcommand_gets_help(andon: Andon) -> None:
    unknown = andon.command("frobnicate the widgets").json()
    assert "frobnicate" in str(unknown["blocks"]) and BlockId.HELP in str(unknown["blocks"])
    empty = andon.command("").json()
    assert BlockId.HELP in str(empty["blocks"])


def test_a_burst_of_a_hundred_requests_is_answered_quickly(andon: Andon) -> None:
    body = (
        "token=legacy&team_id=TFAKE0001&channel_id=CINCIDENT1&user_id=UAPPROVER1&command=%2Fandon&text=help"
        f"&response_url={andon.fake.response_url('burst')}"
    )

    client = httpx.Client(timeout=10, limits=httpx.Limits(max_connections=100))

    def one(_: int) -> tuple[int, float]:
        started = time.monotonic()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
        status = client.post(f"{andon.url}/slack/events", content=body, headers=headers).status_code
        return status, time.monotonic() - started

    started = time.monotonic()
    with client, ThreadPoolExecutor(max_workers=100) as pool:
        results = list(pool.map(one, range(100)))
    assert [s for s, _ in results] == [200] * 100
    assert max(t for _, t in results) < 3.0
    assert time.monotonic() - started < 10.0


def test_investigate_opens_a_thread_and_status_incidents_timeline_ask_follow(andon: Andon) -> None:
    ack = andon.command("investigate checkout 5xx since 10:02, started after deploy")
    assert ack.status_code == 200 and "Opening an incident" in str(ack.json()["blocks"])
    root = andon.fake.wait_for(
        lambda: [
            c
            for c in andon.fake.calls_to("chat.postMessage")
            if c.args.get("channel") == CHANNEL and not c.args.get("thread_ts")
        ],
        what="the incident's root message",
    )[0]
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")
    assert andon.fake.posts_with(BlockId.RCA_HEADER)[0].args["thread_ts"] == root.response["ts"]
    incident = andon.store.find_by_thread(CHANNEL, root.response["ts"])

    listed = str(andon.command("incidents").json()["blocks"])
    assert incident["id"] in listed
    status = str(andon.command("status").json()["blocks"])
    assert "bad deploy on checkout" in status and "Waiting for approval" in status
    assert "Added" in str(andon.command("timeline paged the checkout team").json()["blocks"])
    shown = str(andon.command(f"timeline {incident['id']}").json()["blocks"])
    assert "paged the checkout team" in shown and "opened" in shown

    assert andon.command("ask show the error logs").status_code == 200
    answer = andon.fake.wait_for(lambda: _responses(andon, "ask"), what="the answer")[0]
    assert "NullPointerException" in str(answer.args["blocks"])


def test_runbook_search_answers_through_response_url(andon: Andon) -> None:
    assert andon.command("runbook kafka consumer lag").status_code == 200
    reply = andon.fake.wait_for(lambda: _responses(andon, "runbook"), what="runbook results")[0]
    assert reply.args["response_type"] == "ephemeral"
    assert "rb-" in str(reply.args["blocks"])


def test_resolve_teaches_the_knowledge_base_and_postmortem_is_drafted(andon: Andon, slack_kb: object) -> None:
    andon.mention("checkout 5xx since 10:02, started after deploy", "1773136950.000100", "Ev0RESOLVE", channel=CHANNEL)
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")
    incident = andon.store.find_by_thread(CHANNEL, "1773136950.000100")
    andon.command(f"resolve {incident['id']} rolled back checkout to v2.13.2; NullPointerException in PriceCalculator")
    andon.fake.wait_for(lambda: _responses(andon, "resolve"), what="the resolve reply")
    row = andon.store.get(incident["id"])
    assert row["status"] == "resolved" and "rolled back checkout" in row["fix"]
    hits = slack_kb.search("PriceCalculator NullPointerException rolled back checkout", k=3, kind="incident")
    learned = next(h for h in hits if h.doc_id.startswith("inc-learned-"))
    assert learned.category == "bad_deploy" and learned.path.startswith("https://fake.slack.com/archives/")
    assert "Resolved" in str(
        [c.blocks for c in andon.fake.calls_to("chat.postMessage") if c.args.get("thread_ts") == "1773136950.000100"]
    )

    andon.command(f"postmortem {incident['id']}")
    upload = andon.fake.wait_for(
        lambda: [u for u in andon.fake.uploads() if u.filename.startswith("postmortem-")], what="the postmortem upload"
    )[0]
    draft = (upload.data or b"").decode()
    for heading in ("## Summary", "## Impact", "## Timeline", "## Root cause", "## Actions"):
        assert heading in draft
    assert "rolled back checkout" in draft
    assert upload.channel_id == CHANNEL and upload.thread_ts == "1773136950.000100"


def test_declare_creates_a_channel_with_responders_topic_and_bookmarks(andon: Andon) -> None:
    assert andon.command("declare checkout errors after deploy", user=APPROVER).status_code == 200
    created = andon.fake.wait_for(lambda: andon.fake.calls_to("conversations.create"), what="channel creation")[0]
    assert created.args["name"].startswith("inc-") and created.args["name"].endswith("checkout-errors-after-deploy")
    channel = created.response["channel"]["id"]
    invite = andon.fake.wait_for(lambda: andon.fake.calls_to("conversations.invite"), what="the invite")[0]
    assert invite.args["channel"] == channel and {APPROVER, "UAPPROVER2"} <= set(invite.args["users"].split(","))
    topic = andon.fake.wait_for(lambda: andon.fake.calls_to("conversations.setTopic"), what="the topic")[0]
    assert "checkout errors after deploy" in topic.args["topic"]
    bookmarks = andon.fake.wait_for(
        lambda: len(andon.fake.calls_to("bookmarks.add")) >= 2 and andon.fake.calls_to("bookmarks.add"),
        what="bookmarks",
    )
    assert any(b.args["title"].startswith("Runbook:") for b in bookmarks)
    andon.fake.wait_for(
        lambda: [c for c in andon.fake.posts_with(BlockId.RCA_HEADER) if c.args["channel"] == channel],
        what="the investigation in the new channel",
    )


def _open(andon: Andon, ts: str, event_id: str) -> dict:
    andon.mention("checkout 5xx since 10:02, started after deploy", ts, event_id, channel=CHANNEL)
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")
    return andon.store.find_by_thread(CHANNEL, ts)


def test_a_non_responders_resolution_is_recorded_and_learned_only_once_a_responder_confirms(andon: Andon) -> None:
    incident = _open(andon, "1773136950.000200", "Ev0AUTHZ01")
    said = andon.command(f"resolve {incident['id']} restarted checkout; it was the cache", user=OUTSIDER)
    assert "Recorded your resolution" in str(said.json()["blocks"])
    assert andon.store.get(incident["id"])["status"] != "resolved"
    kinds = [e["kind"] for e in andon.store.timeline(incident["id"])]
    assert "resolution proposed" in kinds and "resolved" not in kinds
    andon.command(f"resolve {incident['id']} confirm", user=APPROVER)
    andon.fake.wait_for(lambda: _responses(andon, "resolve"), what="the confirmed resolution")
    row = andon.store.get(incident["id"])
    assert row["status"] == "resolved" and "restarted checkout" in row["fix"]


def test_another_channels_incident_is_shown_to_responders_only(andon: Andon) -> None:
    incident = _open(andon, "1773136950.000300", "Ev0AUTHZ02")
    elsewhere = "COTHER0001"
    assert incident["id"] not in str(andon.command("incidents", user=OUTSIDER, channel=elsewhere).json()["blocks"])
    hidden = str(andon.command(f"status {incident['id']}", user=OUTSIDER, channel=elsewhere).json()["blocks"])
    assert "No open incident" in hidden and "checkout" not in hidden
    assert incident["id"] in str(andon.command("incidents", user=APPROVER, channel=elsewhere).json()["blocks"])
    assert "bad deploy" in str(
        andon.command(f"status {incident['id']}", user=APPROVER, channel=elsewhere).json()["blocks"]
    )


def test_the_policy_can_reserve_declare_and_notes(fake_slack: FakeSlack, tmp_path: Path, slack_kb: object) -> None:
    reserved = f"commands: {{declare: [{APPROVER}], note: [{APPROVER}]}}\n"
    with serving(fake_slack, tmp_path, slack_kb, policy=reserved) as andon:
        refused = str(andon.command("declare checkout down", user=OUTSIDER).json()["blocks"])
        assert "reserved" in refused
        assert not fake_slack.calls_to("conversations.create")
        assert "Declaring" in str(andon.command("declare checkout down", user=APPROVER).json()["blocks"])


def test_slash_command_work_is_written_before_the_answer_and_done_once(andon: Andon) -> None:
    andon.command("declare payment gateway timeouts")
    andon.fake.wait_for(lambda: _responses(andon, "declare"), what="the declare reply")
    store = andon.store
    andon.fake.wait_for(lambda: store.open_jobs(since=0) == [], what="the job marked done")
    with store.db.transaction() as cur:
        jobs = cur.execute("SELECT kind, done_at FROM jobs").fetchall()
    assert [(kind, done is not None) for kind, done in jobs] == [("declare", True)]


def test_slash_command_work_a_crash_cut_off_is_finished_after_a_restart(andon: Andon) -> None:
    """A job accepted (and Slack answered) by a process that died before doing it: the next process's sweep
    runs it once and answers through the command's response_url."""
    response_url = andon.fake.response_url("declare-after-restart")
    andon.store.add_job(
        "declare:crashed",
        "declare",
        {
            "text": "declare db failover",
            "user": APPROVER,
            "channel": CHANNEL,
            "response_url": response_url,
            "args": ["db failover"],
        },
    )
    jobs = andon.running.desk.commands.jobs
    assert jobs.recover() == ["declare:crashed"]
    answer = andon.fake.wait_for(lambda: _responses(andon, "declare-after-restart"), what="the late answer")[0]
    assert "Declared" in str(answer.args["blocks"]) and answer.args["response_type"] == "ephemeral"
    assert jobs.recover() == [] and andon.store.open_jobs(since=0) == []
    assert len(andon.fake.calls_to("conversations.create")) == 1


def test_slash_command_work_cut_off_midway_is_reported_not_run_again(andon: Andon) -> None:
    response_url = andon.fake.response_url("declare-cut-off")
    store = andon.store
    store.add_job(
        "declare:cut-off",
        "declare",
        {
            "text": "declare db failover",
            "user": APPROVER,
            "channel": CHANNEL,
            "response_url": response_url,
            "args": ["db failover"],
        },
    )
    store.start_job("declare:cut-off")  # the process died here, its claim left to expire
    jobs = andon.running.desk.commands.jobs
    assert jobs.recover() == ["declare:cut-off"]
    notice = andon.fake.wait_for(lambda: _responses(andon, "declare-cut-off"), what="the interruption notice")[0]
    assert "cut off by a restart" in str(notice.args["blocks"])
    assert not andon.fake.calls_to("conversations.create"), "not run again"
    assert jobs.recover() == [] and store.open_jobs(since=0) == []
