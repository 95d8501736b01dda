"""The approval card: one per write/destructive proposal, with its risk, exact parameters, effect and undo,
Approve/Reject buttons behind a confirm dialog, and — once decided — who decided, when, and the outcome."""

from __future__ import annotations

import json
from typing import Any

from bot.chat.blocks.kit import (
    Block,
    clip,
    code,
    context,
    fields_section,
    fit,
    header,
    mention,
    section,
    untrusted,
    when,
)
from bot.chat.ids import ActionId, BlockId

__all__ = ["proposal_card", "button_value", "parse_button_value"]


def button_value(incident_id: str, proposal: dict[str, Any]) -> str:
    """What a button carries back: the incident, the proposal and the hash its approval is bound to."""
    return json.dumps(
        {"incident": incident_id, "proposal": proposal["id"], "hash": proposal["hash"]}, separators=(",", ":")
    )


def parse_button_value(value: str) -> tuple[str, str, str]:
    """``(incident_id, proposal_id, hash)`` from a button's value; ValueError when it is not ours."""
    try:
        data = json.loads(value)
        return str(data["incident"]), str(data["proposal"]), str(data["hash"])
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"not an Andon approval button value: {value[:80]!r}") from exc


def _confirm(proposal: dict[str, Any], approve: bool) -> dict[str, Any]:
    destructive = proposal["risk"] == "destructive"
    verb = "Approve" if approve else "Reject"
    text = (
        f"{verb} `{proposal['tool']}` with exactly these parameters?\n"
        f"{clip(json.dumps(proposal['args'], sort_keys=True), 200, '…')}"
    )
    dialog: dict[str, Any] = {
        "title": {"type": "plain_text", "text": f"{verb} this {'destructive ' if destructive else ''}action?"[:100]},
        "text": {"type": "mrkdwn", "text": clip(text, 300, "…")},
        "confirm": {"type": "plain_text", "text": verb},
        "deny": {"type": "plain_text", "text": "Cancel"},
    }
    if approve and destructive:
        dialog["style"] = "danger"
    return dialog


def _buttons(incident_id: str, proposal: dict[str, Any]) -> Block:
    value = button_value(incident_id, proposal)
    approve: dict[str, Any] = {
        "type": "button",
        "action_id": ActionId.APPROVE.value,
        "value": value,
        "text": {"type": "plain_text", "text": "Approve", "emoji": True},
        "style": "danger" if proposal["risk"] == "destructive" else "primary",
        "confirm": _confirm(proposal, approve=True),
    }
    reject: dict[str, Any] = {
        "type": "button",
        "action_id": ActionId.REJECT.value,
        "value": value,
        "text": {"type": "plain_text", "text": "Reject", "emoji": True},
        "confirm": _confirm(proposal, approve=False),
    }
    return {"type": "actions", "block_id": BlockId.PROPOSAL_ACTIONS.value, "elements": [approve, reject]}


def _decision_line(decision: dict[str, Any]) -> str:
    icon = ":white_check_mark: Approved" if decision.get("decision") == "approve" else ":no_entry_sign: Rejected"
    return f"{icon} by {mention(str(decision.get('by', '')))} at {when(float(decision.get('at', 0)))}"


def _outcome_line(outcome: dict[str, Any]) -> str:
    status = str(outcome.get("status", ""))
    icon = {
        "executed": ":white_check_mark:",
        "failed": ":x:",
        "rejected": ":no_entry_sign:",
        "expired": ":hourglass:",
        "approved": ":arrow_forward:",
    }.get(status, ":double_vertical_bar:")
    label = {"not_executed": "not executed", "approved": "approved — running"}.get(status, status)
    parts = [f"{icon} *Outcome: {label}*"]
    if outcome.get("decision"):
        parts.append(f"— {untrusted(outcome['decision'])}")
    if outcome.get("result"):
        parts.append(f"\n*Result:* {untrusted(outcome['result'])}")
    if outcome.get("dry_run"):
        parts.append(f"\n*Dry run first:* {untrusted(outcome['dry_run'])}")
    if outcome.get("at"):
        parts.append(f"\n_at {when(float(outcome['at']))}_")
    return " ".join(parts)


def proposal_card(
    proposal: dict[str, Any],
    decisions: list[dict[str, Any]],
    *,
    incident_id: str = "",
    required: int = 1,
    expires_at: float | None = None,
    outcome: dict[str, Any] | None = None,
) -> list[Block]:
    """One proposal's card. ``decisions`` are this proposal's recorded decisions; ``outcome`` (an ``act``
    record, or ``{"status": "expired"}``) replaces the buttons once the decision is final."""
    destructive = proposal["risk"] == "destructive"
    title = (":warning: Destructive action: " if destructive else ":hammer_and_wrench: Proposed action: ") + proposal[
        "tool"
    ]
    need = f"{required} distinct approver{'s' if required != 1 else ''}"
    blocks: list[Block] = [
        header(title, BlockId.PROPOSAL),
        fields_section([("Risk", proposal["risk"].upper()), ("Needs", need)]),
        section("*Exact parameters*\n" + code(proposal["args"]), block_id=BlockId.PROPOSAL_PARAMS),
        fields_section(
            [
                ("Expected effect", untrusted(proposal.get("effect") or "—")),
                ("Undo", untrusted(proposal.get("undo") or "—")),
            ]
        ),
    ]
    facts = [f"proposal `{proposal['id']}` · hash `{proposal['hash']}`"]
    if proposal.get("rationale"):
        facts.append(f"why: {untrusted(proposal['rationale'])}")
    if proposal.get("runbook_id"):
        facts.append(f"runbook `{proposal['runbook_id']}`")
    if expires_at and outcome is None:
        facts.append(f"expires {when(expires_at)}")
    blocks.append(context(*facts))
    if decisions:
        blocks.append(
            section("\n".join(_decision_line(d) for d in decisions[:20]), block_id=BlockId.PROPOSAL_DECISIONS)
        )
    if outcome is not None:
        blocks.append(section(_outcome_line(outcome), block_id=BlockId.PROPOSAL_OUTCOME))
    else:
        approvals = len({d.get("by") for d in decisions if d.get("decision") == "approve"})
        if approvals:
            blocks.append(
                context(
                    f"{approvals} of {required} approval(s) — waiting for {required - approvals} more"
                    if approvals < required
                    else f"{approvals} of {required} approval(s) — waiting for the other proposals"
                )
            )
        blocks.append(_buttons(incident_id, proposal))
    return fit(blocks)
