"""Approval in the channel: who may decide, recording each decision once, and resuming the paused graph
exactly once — across double clicks, retries and replicas — when every proposal is settled.

A proposal is settled when the approval state machine (``bot.approval``) says it is no longer ``open``:
an approver rejected it, enough distinct approvers approved it (``destructive`` needs two), or it expired.
``act`` asks the same state machine again before anything runs."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from bot.agent.report import report_from_state
from bot.agent.state import InvestigationState
from bot.approval import ApprovalState, approval_state, expires_at
from bot.chat.blocks import Block, notice, proposal_card, verification_message
from bot.chat.blocks.kit import untrusted
from bot.chat.deps import ChatDeps
from bot.models import Proposal
from bot.store.leases import held

__all__ = ["Approvals", "Click", "Recorded", "needs_approval", "RESUME_LEASE_S", "resume_key"]

log = logging.getLogger(__name__)

RESUME_LEASE_S = 30.0
"""A resumption whose claim was not renewed for this long died with its process (a live one renews every
10 s, so a busy interpreter has 20 s of slack); another process or replica then takes it over."""
RECOVER_WITHIN_S = 86400.0
"""Decisions older than a day are not carried out after a restart: the system has moved on."""

REFUSAL = (
    "Only approvers named in Andon's policy can decide on this action; your click was not recorded. "
    "Ask an approver, or an admin to add you to the policy."
)


def needs_approval(proposal: dict[str, Any]) -> bool:
    return proposal.get("risk") in ("write", "destructive") and not proposal.get("auto")


@dataclass(frozen=True)
class Recorded:
    """What recording a click did: refused, stale, expired, duplicate or recorded, and for which proposal."""

    result: Literal["refused", "stale", "expired", "duplicate", "recorded"]
    proposal: dict[str, Any] | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)


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
    def __init__(self, deps: ChatDeps) -> None:
        self.deps = deps

    # ----- cards -----
    def expires_at(self, proposal: dict[str, Any]) -> float | None:
        return expires_at(Proposal.model_validate(proposal), self.deps.policy)

    def card(
        self,
        incident_id: str,
        proposal: dict[str, Any],
        decisions: list[dict[str, Any]],
        outcome: dict[str, Any] | None = None,
    ) -> list[Block]:
        mine = [d for d in decisions if d["proposal_id"] == proposal["id"] and d.get("hash") == proposal["hash"]]
        return proposal_card(
            proposal,
            mine,
            incident_id=incident_id,
            required=self.deps.policy.required(proposal["risk"]),
            expires_at=self.expires_at(proposal),
            outcome=outcome,
        )

    def post_cards(
        self, incident_id: str, proposals: list[dict[str, Any]], channel: str, thread_ts: str | None
    ) -> None:
        """One card per proposal that needs a human decision."""
        for proposal in proposals:
            if not needs_approval(proposal):
                continue
            ts = self.deps.workspace.post(channel, self.card(incident_id, proposal, []), thread_ts=thread_ts)
            self.deps.store.remember_message(incident_id, f"proposal:{proposal['id']}", channel, ts)
            self.deps.store.note(
                incident_id, "proposal", f"proposed {proposal['tool']} {proposal['args']} ({proposal['risk']})"
            )

    def _update_card(
        self,
        incident_id: str,
        proposal: dict[str, Any],
        decisions: list[dict[str, Any]],
        outcome: dict[str, Any] | None,
        fallback: tuple[str, str | None] | None = None,
    ) -> None:
        where = self.deps.store.message(incident_id, f"proposal:{proposal['id']}") or fallback
        if where is None or where[1] is None:
            return
        try:
            self.deps.workspace.update(where[0], where[1], self.card(incident_id, proposal, decisions, outcome))
        except Exception as exc:  # the decision stands even if the card cannot be redrawn
            log.warning("cannot update the card of %s: %s", proposal["id"], exc)

    # ----- deciding -----
    def groups_of(self, user: str) -> list[str]:
        """The policy's approver user groups (``S…`` ids) that ``user`` belongs to."""
        return [
            g for g in self.deps.policy.approvers if g.startswith("S") and user in self.deps.workspace.group_members(g)
        ]

    def with_groups(self, decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The decisions, each with the approver ``groups`` its author belongs to (the state machine and
        ``act`` judge a group member's decision by them)."""
        return [d if "groups" in d else {**d, "groups": self.groups_of(str(d["by"]))} for d in decisions]

    def state_of(self, proposal: dict[str, Any], decisions: list[dict[str, Any]], now: float) -> ApprovalState:
        """``open``, ``approved``, ``rejected`` or ``expired``, as ``bot.approval`` decides it."""
        return approval_state(
            Proposal.model_validate(proposal), self.with_groups(decisions), self.deps.policy, now
        ).state

    def decide(self, click: Click) -> str:
        """Apply one click. Returns what happened: refused, stale, expired, duplicate, recorded or resumed."""
        return self.follow_up(click, self.record(click))

    def record(self, click: Click) -> Recorded:
        """The durable half of a click, before Slack is answered: checked against the policy and the pending
        proposals, and the decision written to the store. No Slack call (it must be quick)."""
        store = self.deps.store
        if not self.deps.policy.may_approve(click.user, self.groups_of(click.user)):
            store.audit(
                click.incident_id,
                "approval_refused",
                None,
                {"proposal_id": click.proposal_id, "decision": click.decision},
                "not an approver",
                click.user,
            )
            return Recorded("refused")
        pending = self.deps.pending(click.incident_id)
        proposal = next((p for p in pending if p["id"] == click.proposal_id and p["hash"] == click.digest), None)
        if proposal is None:
            return Recorded("stale")
        if self.state_of(proposal, [], time.time()) == "expired":
            return Recorded("expired", proposal, pending)
        if not store.record_decision(click.incident_id, proposal["id"], proposal["hash"], click.decision, click.user):
            return Recorded("duplicate", proposal, pending)  # a double click or a retried delivery: the first counts
        verb = "approved" if click.decision == "approve" else "rejected"
        store.note(click.incident_id, "decision", f"{verb} {proposal['tool']} {proposal['args']}", click.user)
        return Recorded("recorded", proposal, pending)

    def follow_up(self, click: Click, recorded: Recorded) -> str:
        """The rest, after Slack is answered: tell the clicker, update the card, resume when settled."""
        store, workspace = self.deps.store, self.deps.workspace
        proposal, pending = recorded.proposal, recorded.pending
        if recorded.result == "refused":
            workspace.ephemeral(click.channel, click.user, REFUSAL)
            return self._count("refused")
        if recorded.result == "stale" or proposal is None:
            workspace.ephemeral(click.channel, click.user, "This proposal is no longer waiting for a decision.")
            return self._count("stale")
        fallback = (click.channel, click.message_ts)
        if recorded.result == "expired":
            workspace.ephemeral(click.channel, click.user, "This proposal expired; nothing will run.")
            self._update_card(
                click.incident_id,
                proposal,
                store.decisions(click.incident_id),
                {"status": "expired", "decision": "not decided before expiry"},
                fallback,
            )
            self._resume_when_settled(click.incident_id, pending)
            return self._count("expired")
        if recorded.result == "duplicate":
            return self._count("duplicate")
        verb = "approved" if click.decision == "approve" else "rejected"
        decisions = store.decisions(click.incident_id)
        state = self.state_of(proposal, decisions, time.time())
        outcome = None if state == "open" else {"status": state, "decision": f"{verb} by <@{click.user}>"}
        self._update_card(click.incident_id, proposal, decisions, outcome, fallback)
        return self._count("resumed" if self._resume_when_settled(click.incident_id, pending) else "recorded")

    def recover(self, max_age_s: float = RECOVER_WITHIN_S) -> list[str]:
        """Resume incidents whose proposals were all decided but whose resumption never finished (its process
        died after the clicks were recorded): each is taken over once its claim is no longer renewed.
        Incidents nobody clicked on are left alone. Returns the incidents resumed."""
        store, now, resumed = self.deps.store, time.time(), []
        for row in store.list("investigating", limit=200):
            if float(row["created_at"]) < now - max_age_s or not store.decisions(row["id"]):
                continue
            pending = self.deps.investigator().pending(row["id"])
            if pending and self._resume_when_settled(row["id"], pending):
                store.note(row["id"], "resumed", "carrying out the recorded decisions after a restart")
                resumed.append(row["id"])
            elif not pending and self._announce_unsaid(row["id"]):
                store.note(row["id"], "resumed", "reporting what the recorded decisions did, after a restart")
                resumed.append(row["id"])
        return resumed

    def _count(self, result: str) -> str:
        self.deps.metrics.decisions.labels(result=result).inc()
        return result

    def _resume_when_settled(self, incident_id: str, pending: list[dict[str, Any]]) -> bool:
        decisions = self.with_groups(self.deps.store.decisions(incident_id))
        now = time.time()
        if any(self.state_of(p, decisions, now) == "open" for p in pending):
            return False
        key = resume_key(incident_id, pending)
        if not self.deps.store.claim(key, RESUME_LEASE_S, incident_id):
            return False  # another click, process or replica is resuming it
        self.deps.submit(self._resume_holding, key, incident_id, pending)
        return True

    def _resume_holding(self, key: str, incident_id: str, pending: list[dict[str, Any]]) -> None:
        with held(self.deps.store, key, RESUME_LEASE_S):
            self._resume(incident_id, pending)

    def _resume(self, incident_id: str, pending: list[dict[str, Any]]) -> None:
        store = self.deps.store
        incident = store.get(incident_id) or {}
        decisions = self.with_groups(store.decisions(incident_id))
        try:
            outcome = self.deps.investigator().resume(incident_id, decisions)
        except Exception as exc:
            log.exception("resuming %s failed", incident_id)
            if incident.get("channel"):
                self.deps.workspace.post(
                    incident["channel"],
                    notice(f":x: Could not carry out the decisions: {untrusted(exc)}"),
                    thread_ts=incident.get("thread_ts"),
                )
            return
        self._announce(
            incident_id, pending, outcome.report or report_from_state(cast(InvestigationState, outcome.state))
        )

    def _announce(self, incident_id: str, pending: list[dict[str, Any]], report: dict[str, Any]) -> None:
        """What the decisions led to: the cards updated, the timeline noted, the verification posted; the
        timeline's verification entry comes last, so a restart knows whether it still has to be said."""
        store = self.deps.store
        incident = store.get(incident_id) or {}
        channel, thread = incident.get("channel"), incident.get("thread_ts")
        store.save_report(incident_id, report)
        by_id = {p["id"]: p for p in pending}
        for action in report.get("actions") or []:
            proposal = by_id.get(str(action.get("proposal_id")))
            if proposal is not None and needs_approval(proposal):
                self._update_card(incident_id, proposal, store.decisions(incident_id), action)
            store.note(
                incident_id,
                "action",
                f"{action['tool']} {action.get('status')}: {action.get('result') or action.get('decision', '')}",
            )
        check = report.get("verification") or {}
        if check.get("recovered") and any(a.get("status") == "executed" for a in report.get("actions") or []):
            store.set_status(incident_id, "mitigated")
        if channel:
            self.deps.workspace.post(channel, verification_message(report), thread_ts=thread)
        store.note(incident_id, "verification", str(check.get("detail", "not checked")))  # last: it marks "said"

    def _announce_unsaid(self, incident_id: str) -> bool:
        """A resumption that finished its graph but died before saying so: say it now, once. It takes the
        resumption's own claim, so while a resumption still runs (and will say it), this waits: a sweep that
        came while a slow resumption was between its action and its announcement said it a second time."""
        store = self.deps.store
        if any(e["kind"] == "verification" for e in store.timeline(incident_id)):
            return False
        outcome = self.deps.investigator().outcome(incident_id)
        proposals = list(outcome.state.get("proposals") or [])
        key = resume_key(incident_id, proposals)
        if outcome.waiting or not outcome.state.get("actions") or not store.claim(key, RESUME_LEASE_S, incident_id):
            return False
        with held(store, key, RESUME_LEASE_S):
            if any(e["kind"] == "verification" for e in store.timeline(incident_id)):
                return False  # the resumption that held the claim said it before it let go
            self._announce(
                incident_id, proposals, outcome.report or report_from_state(cast(InvestigationState, outcome.state))
            )
        return True


def resume_key(incident_id: str, proposals: list[dict[str, Any]]) -> str:
    """The claim under which the decisions on ``proposals`` are carried out and announced, once."""
    digest = hashlib.sha256(",".join(sorted(p["hash"] for p in proposals)).encode()).hexdigest()[:16]
    return f"resume:{incident_id}:{digest}"
