"""Approval in the channel: who may decide, recording each decision once, and resuming the paused graph
exactly once — across double clicks, retries and replicas — when every proposal is settled.

A proposal is settled when an approver rejected it, when enough distinct approvers approved it
(``destructive`` needs two), or when it expired. ``act`` re-checks all of it against the policy."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any, Literal, cast

from bot.agent.nodes.closing import report_from_state
from bot.agent.state import InvestigationState
from bot.slack.blocks import Block, notice, proposal_card, verification_message
from bot.slack.blocks.kit import untrusted
from bot.slack.services import Services

__all__ = ["Approvals", "Click", "needs_approval"]

log = logging.getLogger(__name__)

REFUSAL = ("Only approvers named in Andon's policy can decide on this action; your click was not recorded. "
           "Ask an approver, or an admin to add you to the policy.")


def needs_approval(proposal: dict[str, Any]) -> bool:
    return proposal.get("risk") in ("write", "destructive") and not proposal.get("auto")


@dataclass(frozen=True)
class Click:
    """One Approve/Reject click."""

    incident_id: str
    proposal_id: str
    digest: str
    decision: Literal["approve", "reject"]
    user: str
    channel: str
    message_ts: str | None = None


class Approvals:
    def __init__(self, services: Services) -> None:
        self.s = services

    # ----- cards -----
    def expires_at(self, proposal: dict[str, Any]) -> float | None:
        created = float(proposal.get("created_at") or 0)
        return created + self.s.policy.expiry_minutes * 60 if created else None

    def card(self, incident_id: str, proposal: dict[str, Any], decisions: list[dict[str, Any]],
             outcome: dict[str, Any] | None = None) -> list[Block]:
        mine = [d for d in decisions if d["proposal_id"] == proposal["id"] and d.get("hash") == proposal["hash"]]
        return proposal_card(proposal, mine, incident_id=incident_id, required=self.s.policy.required(proposal["risk"]),
                             expires_at=self.expires_at(proposal), outcome=outcome)

    def post_cards(self, incident_id: str, proposals: list[dict[str, Any]], channel: str, thread_ts: str | None) -> None:
        """One card per proposal that needs a human decision."""
        for proposal in proposals:
            if not needs_approval(proposal):
                continue
            ts = self.s.workspace.post(channel, self.card(incident_id, proposal, []), thread_ts=thread_ts)
            self.s.store.remember_message(incident_id, f"proposal:{proposal['id']}", channel, ts)
            self.s.store.note(incident_id, "proposal", f"proposed {proposal['tool']} {proposal['args']} "
                                                       f"({proposal['risk']})")

    def _update_card(self, incident_id: str, proposal: dict[str, Any], decisions: list[dict[str, Any]],
                     outcome: dict[str, Any] | None, fallback: tuple[str, str | None] | None = None) -> None:
        where = self.s.store.message(incident_id, f"proposal:{proposal['id']}") or fallback
        if where is None or where[1] is None:
            return
        try:
            self.s.workspace.update(where[0], where[1], self.card(incident_id, proposal, decisions, outcome))
        except Exception as exc:  # the decision stands even if the card cannot be redrawn
            log.warning("cannot update the card of %s: %s", proposal["id"], exc)

    # ----- deciding -----
    def groups_of(self, user: str) -> list[str]:
        """The policy's approver user groups (``S…`` ids) that ``user`` belongs to."""
        return [g for g in self.s.policy.approvers if g.startswith("S") and user in self.s.workspace.group_members(g)]

    def state_of(self, proposal: dict[str, Any], decisions: list[dict[str, Any]], now: float) -> str:
        """``open``, ``approved``, ``rejected`` or ``expired``."""
        if not needs_approval(proposal):
            return "approved"
        mine = [d for d in decisions if d["proposal_id"] == proposal["id"] and d.get("hash") == proposal["hash"]]
        if any(d["decision"] == "reject" for d in mine):
            return "rejected"
        approvers = {d["by"] for d in mine if d["decision"] == "approve"}
        if len(approvers) >= self.s.policy.required(proposal["risk"]):
            return "approved"
        expiry = self.expires_at(proposal)
        return "expired" if expiry is not None and now > expiry else "open"

    def decide(self, click: Click) -> str:
        """Apply one click. Returns what happened: refused, stale, expired, duplicate, recorded or resumed."""
        store, workspace = self.s.store, self.s.workspace
        if not self.s.policy.may_approve(click.user, self.groups_of(click.user)):
            workspace.ephemeral(click.channel, click.user, REFUSAL)
            store.audit(click.incident_id, "approval_refused", None,
                        {"proposal_id": click.proposal_id, "decision": click.decision}, "not an approver", click.user)
            return self._count("refused")
        pending = self.s.investigator().pending(click.incident_id)
        proposal = next((p for p in pending if p["id"] == click.proposal_id and p["hash"] == click.digest), None)
        if proposal is None:
            workspace.ephemeral(click.channel, click.user, "This proposal is no longer waiting for a decision.")
            return self._count("stale")
        now = time.time()
        fallback = (click.channel, click.message_ts)
        if self.state_of(proposal, [], now) == "expired":
            workspace.ephemeral(click.channel, click.user, "This proposal expired; nothing will run.")
            self._update_card(click.incident_id, proposal, store.decisions(click.incident_id),
                              {"status": "expired", "decision": "not decided before expiry"}, fallback)
            self._resume_when_settled(click.incident_id, pending)
            return self._count("expired")
        if not store.record_decision(click.incident_id, proposal["id"], proposal["hash"], click.decision, click.user):
            return self._count("duplicate")  # a double click or a retried delivery: the first one counts
        verb = "approved" if click.decision == "approve" else "rejected"
        store.note(click.incident_id, "decision", f"{verb} {proposal['tool']} {proposal['args']}", click.user)
        decisions = store.decisions(click.incident_id)
        state = self.state_of(proposal, decisions, now)
        outcome = None if state == "open" else {"status": state, "decision": f"{verb} by <@{click.user}>"}
        self._update_card(click.incident_id, proposal, decisions, outcome, fallback)
        return self._count("resumed" if self._resume_when_settled(click.incident_id, pending) else "recorded")

    def _count(self, result: str) -> str:
        self.s.metrics.decisions.labels(result=result).inc()
        return result

    def _resume_when_settled(self, incident_id: str, pending: list[dict[str, Any]]) -> bool:
        decisions = self.s.store.decisions(incident_id)
        now = time.time()
        if any(self.state_of(p, decisions, now) == "open" for p in pending):
            return False
        digest = hashlib.sha256(",".join(sorted(p["hash"] for p in pending)).encode()).hexdigest()[:16]
        if not self.s.store.first_time(f"resume:{incident_id}:{digest}", incident_id):
            return False  # another click, process or replica resumes it
        self.s.submit(self._resume, incident_id, pending)
        return True

    def _resume(self, incident_id: str, pending: list[dict[str, Any]]) -> None:
        store = self.s.store
        incident = store.get(incident_id) or {}
        channel, thread = incident.get("channel"), incident.get("thread_ts")
        decisions = [{**d, "groups": self.groups_of(str(d["by"]))} for d in store.decisions(incident_id)]
        try:
            outcome = self.s.investigator().resume(incident_id, decisions)
        except Exception as exc:
            log.exception("resuming %s failed", incident_id)
            if channel:
                self.s.workspace.post(channel, notice(f":x: Could not carry out the decisions: {untrusted(exc)}"), thread_ts=thread)
            return
        report = outcome.report or report_from_state(cast(InvestigationState, outcome.state))
        store.save_report(incident_id, report)
        by_id = {p["id"]: p for p in pending}
        for action in report.get("actions") or []:
            proposal = by_id.get(str(action.get("proposal_id")))
            if proposal is not None and needs_approval(proposal):
                self._update_card(incident_id, proposal, store.decisions(incident_id), action)
            store.note(incident_id, "action", f"{action['tool']} {action.get('status')}: "
                                              f"{action.get('result') or action.get('decision', '')}")
        check = report.get("verification") or {}
        store.note(incident_id, "verification", str(check.get("detail", "not checked")))
        if check.get("recovered") and any(a.get("status") == "executed" for a in report.get("actions") or []):
            store.set_status(incident_id, "mitigated")
        if channel:
            self.s.workspace.post(channel, verification_message(report), thread_ts=thread)
