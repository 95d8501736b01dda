"""The approval state machine: where a proposal stands, decided from its recorded decisions, the policy
and the time. Pure (no store, no Slack, no clock of its own), so the ``act`` node and the chat layer ask the
same question and get the same answer.

A proposal that needs a human decision starts ``open``. A decision is one person's ``approve`` or
``reject`` for one proposal id; which of them count:

- an **approval** counts when it comes from an approver named in the policy (a user, or a member of a
  user group the policy names: the decision carries the ``groups`` its author belongs to), is bound to
  the proposal's exact parameters (its ``hash``), and was made (``at``) before the proposal expired.
  One person approving twice counts once.
- a **reject** counts when it comes from an approver named in the policy, whatever its hash and whenever
  it came: refusing is always the safe side. A reject by someone who is not an approver does nothing at
  all: it neither rejects nor blocks, and the proposal stays where the approvers' decisions leave it.
  (The chat layer refuses and audits such a click before anything is recorded; in ``act`` it can only
  be a forged or stale decision.)

States and transitions, judged in this order (the first that holds wins):

============  ===============================================================  ============
from          when                                                             to
============  ===============================================================  ============
(any)         an approver rejected it                                          ``rejected``
(any)         the proposal needs no approval: ``read`` risk, or a ``write``     ``approved``
              action on the policy's self-healing allowlist with no
              decision on it
``open``      distinct counting approvals reach ``policy.required(risk)``      ``approved``
              (one for ``write``, two for ``destructive``)
``open``      ``now`` is past ``created_at + expiry_minutes``                  ``expired``
``open``      anything else: fewer approvals than required, decisions that     ``open``
              do not count (non-approvers, other parameters, too late)
============  ===============================================================  ============

``rejected`` is final: an approver's reject wins over any number of approvals. ``approved`` survives
expiry (an approval made in time is carried out after a restart) and ``expired`` admits no later approval,
so either can only still turn ``rejected`` (in the channel a click after that is stale: the graph has moved
on). The order of the decisions never matters. A proposal without ``created_at`` never expires.

The state is only the approvers' answer: ``act`` also refuses a proposal whose parameters no longer match
its hash, a target outside the policy's blast radius, and anything over the rate limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.models import Proposal
from bot.policy import Policy

__all__ = ["ApprovalState", "Verdict", "approval_state", "expires_at"]

ApprovalState = Literal["open", "approved", "rejected", "expired"]


@dataclass(frozen=True)
class Verdict:
    """Where a proposal stands, why (in words for the card and the audit log), and whose approvals count."""

    state: ApprovalState
    reason: str
    approvers: tuple[str, ...] = ()


def expires_at(proposal: Proposal, policy: Policy) -> float | None:
    """When the proposal stops accepting approvals; ``None`` when it has no creation time."""
    return proposal.created_at + policy.expiry_minutes * 60 if proposal.created_at else None


def _is_approver(decision: Mapping[str, Any], policy: Policy) -> bool:
    return policy.may_approve(str(decision.get("by") or ""), decision.get("groups"))


def approval_state(proposal: Proposal, decisions: Iterable[Mapping[str, Any]], policy: Policy, now: float) -> Verdict:
    """Where ``proposal`` stands given every recorded decision (others' proposals are ignored)."""
    mine = [d for d in decisions if d.get("proposal_id") == proposal.id]
    rejecter = next((d for d in mine if d.get("decision") == "reject" and _is_approver(d, policy)), None)
    if rejecter is not None:
        return Verdict("rejected", f"rejected by {rejecter.get('by')}")
    required = policy.required(proposal.risk)
    if required == 0:
        return Verdict("approved", "no approval needed (read-only)")
    if not mine and policy.auto_executes(proposal.tool, proposal.risk, str(proposal.args.get("service", ""))):
        return Verdict("approved", "auto-executed: on the policy's self-healing allowlist")
    expiry = expires_at(proposal, policy)
    valid: set[str] = set()
    problems: list[str] = []
    for decision in mine:
        if decision.get("decision") != "approve":
            continue
        who = str(decision.get("by") or "")
        if decision.get("hash") != proposal.hash:
            problems.append(f"approval by {who} is for different parameters")
        elif not _is_approver(decision, policy):
            problems.append(f"{who or 'someone'} is not an approver")
        elif expiry is not None and float(decision.get("at", now)) > expiry:
            problems.append(f"approval by {who} arrived after expiry")
        else:
            valid.add(who)
    approvers = tuple(sorted(valid))
    if len(valid) >= required:
        return Verdict("approved", "approved by " + ", ".join(approvers), approvers)
    shortfall = f"needs {required} distinct approver(s), has {len(valid)}"
    if expiry is not None and now > expiry:
        return Verdict("expired", "expired" if not valid else f"expired: {shortfall}", approvers)
    return Verdict("open", shortfall + (f" ({'; '.join(problems)})" if problems else ""), approvers)
