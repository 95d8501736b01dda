"""Block Kit builders are pure functions that always stay within Slack's limits."""

from __future__ import annotations

import json
from typing import Any

from bench.fake_slack import block_problem
from bot.chat.blocks import (
    MAX_BLOCKS,
    MAX_SECTION_TEXT,
    ack_message,
    clip,
    help_blocks,
    progress_message,
    proposal_card,
    rca_card,
    timeline_blocks,
    verification_message,
)
from bot.chat.commands import HELP
from bot.chat.ids import ActionId, BlockId
from bot.chat.plaintext import blocks_to_text
from tests.support.reports import INCIDENT, huge_report


def _section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]


def test_rca_card_of_a_huge_report_stays_within_limits_and_says_so() -> None:
    blocks = rca_card(huge_report())
    assert len(blocks) <= MAX_BLOCKS
    assert all(len(t) <= MAX_SECTION_TEXT for t in _section_texts(blocks))
    assert block_problem(blocks) is None
    text = json.dumps(blocks)
    assert "truncated" in text and "more tool result(s) not shown" in text
    assert "<https://wiki.example.com/pm|old>" in text


def test_clip_never_leaves_a_code_fence_open() -> None:
    clipped = clip("```" + "z" * 5000 + "```", 3000)
    assert len(clipped) <= 3000 and clipped.count("```") % 2 == 0 and "truncated" in clipped


def test_proposal_card_for_destructive_action() -> None:
    proposal = {
        "id": "p-1",
        "tool": "drain_queue",
        "args": {"service": "worker"},
        "risk": "destructive",
        "effect": "discards the backlog",
        "undo": "cannot be undone",
        "hash": "abc",
        "created_at": 1000.0,
    }
    blocks = proposal_card(proposal, [], incident_id="inc-1", required=2, expires_at=2800.0)
    assert block_problem(blocks) is None
    actions = next(b for b in blocks if b.get("block_id") == BlockId.PROPOSAL_ACTIONS)["elements"]
    approve, reject = actions
    assert approve["action_id"] == ActionId.APPROVE and approve["style"] == "danger"
    assert approve["confirm"]["style"] == "danger" and "confirm" in reject
    assert json.loads(approve["value"]) == {"incident": "inc-1", "proposal": "p-1", "hash": "abc"}
    params = next(b for b in blocks if b.get("block_id") == BlockId.PROPOSAL_PARAMS)["text"]["text"]
    assert '```{"service": "worker"}```' in params and "2 distinct approvers" in json.dumps(blocks)
    decided = proposal_card(
        proposal,
        [{"proposal_id": "p-1", "decision": "approve", "by": "U1", "at": 1500.0}],
        incident_id="inc-1",
        required=2,
        outcome={"status": "executed", "decision": "approved by U1, U2", "result": "drained"},
    )
    assert not any(b.get("block_id") == BlockId.PROPOSAL_ACTIONS for b in decided)
    assert "<@U1>" in json.dumps(decided) and "Outcome: executed" in json.dumps(decided)


def test_progress_ack_help_verification_and_timeline_shapes() -> None:
    assert block_problem(ack_message(INCIDENT)) is None
    steps = [f"step {i}" for i in range(30)]
    progress = progress_message(INCIDENT, steps, done=True, elapsed_s=2.5)
    assert "earlier step" in json.dumps(progress) and "2.5s" in json.dumps(progress)
    assert block_problem(help_blocks(HELP, unknown="x" * 500)) is None
    report = {
        "actions": [
            {
                "tool": "rollback_deploy",
                "args": {"service": "checkout"},
                "status": "executed",
                "decision": "approved by U1",
                "result": "rolled back",
            }
        ],
        "verification": {"recovered": True, "detail": "error_ratio back to 0.003"},
    }
    assert "Verified" in json.dumps(verification_message(report))
    entries = [{"at": 1000.0 + i, "kind": "note", "text": "t" * 900, "by": "U1"} for i in range(200)]
    assert block_problem(timeline_blocks(INCIDENT, entries)) is None


def test_plaintext_rendering_keeps_the_card_readable() -> None:
    proposal = {
        "id": "p-1",
        "tool": "rollback_deploy",
        "args": {"service": "checkout"},
        "risk": "write",
        "hash": "abc",
        "created_at": 0,
    }
    text = blocks_to_text(
        proposal_card(
            proposal,
            [{"proposal_id": "p-1", "decision": "approve", "by": "U1", "at": 0}],
            incident_id="inc-1",
            required=2,
        )
    )
    assert "ROLLBACK_DEPLOY" in text and "[Approve]  [Reject]" in text and "@U1" in text and "1970-01-01" in text
