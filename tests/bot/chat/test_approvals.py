"""Approve/Reject in the channel: only policy approvers decide (others get an ephemeral refusal), a decision
counts once per person (double clicks do nothing), destructive actions need two distinct approvers, and the
paused investigation resumes — and the action runs — exactly once. The card is updated in place."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.fake_slack import Call
from bot.chat.approvals import Approvals
from bot.chat.blocks import parse_button_value
from bot.chat.ids import ActionId, BlockId
from tests.support.served_slack import APPROVER, GROUP_MEMBER, OUTSIDER, SECOND_APPROVER, Andon

pytestmark = pytest.mark.integration

TEXT = "checkout 5xx since 10:02, started after deploy"


def _card(andon: Andon, ts: str) -> tuple[Call, str]:
    andon.mention(TEXT, ts, f"Ev{ts.replace('.', '')}")
    card = andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.PROPOSAL_ACTIONS), what="an approval card")[0]
    actions = next(b for b in card.blocks if b.get("block_id") == BlockId.PROPOSAL_ACTIONS)
    return card, actions["elements"][0]["value"]


def _card_updates(andon: Andon, card: Call) -> list[Call]:
    return [c for c in andon.fake.calls_to("chat.update") if c.args.get("ts") == card.response["ts"]]


def test_card_shows_risk_exact_parameters_effect_undo_and_confirmed_buttons(andon: Andon) -> None:
    card, value = _card(andon, "1773137100.000100")
    text = str(card.blocks)
    assert "WRITE" in text and '{"service": "checkout", "to_version": "v2.13.2"}' in text
    assert "Expected effect" in text and "Undo" in text
    buttons = next(b for b in card.blocks if b.get("block_id") == BlockId.PROPOSAL_ACTIONS)["elements"]
    assert [b["action_id"] for b in buttons] == [ActionId.APPROVE, ActionId.REJECT]
    assert all("confirm" in b for b in buttons) and buttons[0]["style"] == "primary"
    assert parse_button_value(value)[0].startswith("inc-")


def test_non_approver_is_refused_ephemerally_and_nothing_runs(andon: Andon) -> None:
    card, value = _card(andon, "1773137101.000100")
    assert andon.click(ActionId.APPROVE, value, OUTSIDER, card.args["channel"], card.response["ts"]).status_code == 200
    refusal = andon.fake.wait_for(lambda: andon.fake.calls_to("chat.postEphemeral"), what="the refusal")[0]
    assert refusal.args["user"] == OUTSIDER and "approvers" in refusal.args["text"]
    time.sleep(0.5)
    incident_id = parse_button_value(value)[0]
    assert andon.store.decisions(incident_id) == []
    assert andon.executed() == [] and andon.store.executions(incident_id) == []
    assert not _card_updates(andon, card)
    assert any(e["event"] == "approval_refused" and e["by"] == OUTSIDER for e in andon.store.audit_log(incident_id))


def test_approver_executes_exactly_once_even_with_a_double_click(andon: Andon) -> None:
    card, value = _card(andon, "1773137102.000100")
    channel, ts = card.args["channel"], card.response["ts"]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = list(
            pool.map(lambda _: andon.click(ActionId.APPROVE, value, APPROVER, channel, ts).status_code, range(3))
        )
    assert statuses == [200, 200, 200]
    assert time.monotonic() - started < 3.0, "interactions are acknowledged within 3 s"
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.VERIFICATION), what="verify's result")
    time.sleep(0.5)
    incident_id = parse_button_value(value)[0]
    assert len(andon.store.decisions(incident_id)) == 1
    assert len(andon.executed()) == 1 and andon.executed()[0]["action"] == "rollback_deploy"
    assert len(andon.store.executions(incident_id)) == 1
    final = _card_updates(andon, card)[-1]
    outcome = next(b for b in final.blocks if b.get("block_id") == BlockId.PROPOSAL_OUTCOME)["text"]["text"]
    assert "executed" in outcome and "roll back checkout" in outcome
    assert f"<@{APPROVER}>" in str(final.blocks) and "<!date^" in str(final.blocks)
    assert not any(b.get("block_id") == BlockId.PROPOSAL_ACTIONS for b in final.blocks), "buttons gone once decided"
    verification = andon.fake.posts_with(BlockId.VERIFICATION)[0]
    assert verification.args["thread_ts"] == "1773137102.000100" and "cannot show a recovery" in str(
        verification.blocks
    )
    # a late click after the decision changes nothing
    andon.click(ActionId.APPROVE, value, SECOND_APPROVER, channel, ts)
    time.sleep(0.5)
    assert len(andon.executed()) == 1


def test_reject_is_final_and_nothing_runs(andon: Andon) -> None:
    card, value = _card(andon, "1773137103.000100")
    andon.click(ActionId.REJECT, value, SECOND_APPROVER, card.args["channel"], card.response["ts"])
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.VERIFICATION), what="the outcome")
    assert andon.executed() == []
    final = _card_updates(andon, card)[-1]
    assert "rejected" in str(final.blocks)


def test_destructive_needs_two_distinct_approvers(andon_destructive: Andon) -> None:
    andon = andon_destructive
    card, value = _card(andon, "1773137104.000100")
    channel, ts = card.args["channel"], card.response["ts"]
    buttons = next(b for b in card.blocks if b.get("block_id") == BlockId.PROPOSAL_ACTIONS)["elements"]
    assert buttons[0]["style"] == "danger" and buttons[0]["confirm"]["style"] == "danger"
    assert "2 distinct approvers" in str(card.blocks)

    andon.click(ActionId.APPROVE, value, APPROVER, channel, ts)
    andon.click(ActionId.APPROVE, value, APPROVER, channel, ts)  # the same person again does not count twice
    andon.fake.wait_for(lambda: _card_updates(andon, card), what="the card update")
    time.sleep(1.0)
    assert andon.executed() == []
    assert "1 of 2" in str(_card_updates(andon, card)[-1].blocks)

    andon.click(ActionId.APPROVE, value, GROUP_MEMBER, channel, ts)  # an approver through the policy's user group
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.VERIFICATION), what="verify's result")
    assert [e["action"] for e in andon.executed()] == ["rollback_deploy"]
    dry_runs = [e for e in andon.actuator.executed if e["dry_run"]]
    assert len(dry_runs) == 1, "destructive actions get a dry run first"
    usergroups = andon.fake.calls_to("usergroups.users.list")
    assert usergroups and usergroups[0].args["usergroup"] == "SONCALL01"
    final = str(_card_updates(andon, card)[-1].blocks)
    assert f"<@{APPROVER}>" in final and f"<@{GROUP_MEMBER}>" in final and "executed" in final


def test_an_expired_proposal_is_not_run(andon_expiring: Andon) -> None:
    andon = andon_expiring
    card, value = _card(andon, "1773137105.000100")
    time.sleep(1.0)
    andon.click(ActionId.APPROVE, value, APPROVER, card.args["channel"], card.response["ts"])
    refusal = andon.fake.wait_for(lambda: andon.fake.calls_to("chat.postEphemeral"), what="the expiry notice")[0]
    assert "expired" in refusal.args["text"]
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.VERIFICATION), what="the outcome")
    assert andon.executed() == [] and andon.store.decisions(parse_button_value(value)[0]) == []
    assert "expired" in str(_card_updates(andon, card)[-1].blocks)


def test_a_decision_is_recorded_before_slack_hears_back(andon: Andon) -> None:
    card, value = _card(andon, "1773137104.000100")
    incident_id = parse_button_value(value)[0]
    answer = andon.click(ActionId.REJECT, value, SECOND_APPROVER, card.args["channel"], card.response["ts"])
    assert answer.status_code == 200
    assert [d["by"] for d in andon.store.decisions(incident_id)] == [SECOND_APPROVER], (
        "the click is in the store by the time Slack gets its 200"
    )


def _approved_then_died(andon: Andon, ts: str) -> tuple[str, Approvals]:
    """An approval click recorded (Slack answered) by a process that then died before doing anything more."""
    from bot.chat.approvals import Click

    card, value = _card(andon, ts)
    incident_id, proposal_id, digest = parse_button_value(value)
    approvals = andon.running.desk.approvals
    click = Click(
        incident_id=incident_id,
        proposal_id=proposal_id,
        digest=digest,
        decision="approve",
        user=APPROVER,
        channel=card.args["channel"],
        message_ts=card.response["ts"],
    )
    assert approvals.record(click).result == "recorded"
    return incident_id, approvals


def test_decisions_a_crash_left_undone_are_carried_out_once_after_a_restart(andon: Andon) -> None:
    incident_id, approvals = _approved_then_died(andon, "1773137105.000100")
    assert andon.executed() == []
    approvals.recover()  # what the start-up sweep does (the periodic one may have got there first)
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.VERIFICATION), what="verify's result")
    assert approvals.recover() == [], "carried out once"
    time.sleep(0.5)
    assert len(andon.executed()) == 1 and len(andon.store.executions(incident_id)) == 1
    assert [e["kind"] for e in andon.store.timeline(incident_id)].count("resumed") == 1


def test_an_outcome_a_crash_left_unsaid_is_reported_once_after_a_restart(andon: Andon) -> None:
    incident_id, approvals = _approved_then_died(andon, "1773137106.000100")
    deps = andon.running.desk.deps
    deps.investigator().resume(incident_id, deps.store.decisions(incident_id))  # then the process dies
    assert len(andon.executed()) == 1 and not andon.fake.posts_with(BlockId.VERIFICATION)
    approvals.recover()
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.VERIFICATION), what="the outcome, said after all")
    assert approvals.recover() == []
    time.sleep(0.5)
    assert len(andon.fake.posts_with(BlockId.VERIFICATION)) == 1 and len(andon.executed()) == 1


def test_a_sweep_while_a_slow_resumption_runs_leaves_the_announcement_to_it(andon: Andon) -> None:
    """A resumption holds its claim from the click to its announcement; a recovery sweep that comes while it
    is between the action and the announcement (a busy worker) must not say the outcome too."""
    from bot.chat.approvals import RESUME_LEASE_S, resume_key

    incident_id, approvals = _approved_then_died(andon, "1773137107.000100")
    deps = andon.running.desk.deps
    pending = deps.pending(incident_id)
    assert deps.store.claim(resume_key(incident_id, pending), RESUME_LEASE_S, incident_id), "the live resumption"
    outcome = deps.investigator().resume(incident_id, deps.store.decisions(incident_id))  # acted, not said
    assert approvals.recover() == [], "the sweep leaves it to the resumption that holds the claim"
    approvals._announce(incident_id, pending, outcome.report or {})  # the live resumption says it
    time.sleep(0.5)
    assert approvals.recover() == []
    assert len(andon.fake.posts_with(BlockId.VERIFICATION)) == 1 and len(andon.executed()) == 1
