"""The approval state machine: each row of its table, then properties over any sequence of clicks — an
approver's reject wins, a non-approver's decision changes nothing, the order of clicks does not matter, a
settled state stays settled, and the ``act`` node and the chat layer always agree."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.agent.nodes.approval import check_approval
from bot.approval import approval_state, expires_at
from bot.chat.approvals import Approvals
from bot.models import Proposal, action_hash
from bot.policy import Policy

CREATED = 1_800_000_000.0
POLICY = Policy(approvers=["UAPPROVER1", "UAPPROVER2", "SONCALL01"], expiry_minutes=30)
EXPIRY = CREATED + 30 * 60
GROUPS = {"SONCALL01": ["UMEMBER"]}
PEOPLE = ["UAPPROVER1", "UAPPROVER2", "UMEMBER", "UOUTSIDER"]


def _proposal(risk: str = "write", tool: str = "rollback_deploy", service: str = "checkout") -> Proposal:
    args = {"service": service, "to_version": "v2.13.2"}
    digest = action_hash(tool, args)
    return Proposal(
        id=f"p-{digest[:10]}",
        tool=tool,
        args=args,
        risk=risk,
        hash=digest,  # type: ignore[arg-type]
        created_at=CREATED,
    )


def _click(
    proposal: Proposal, by: str, decision: str = "approve", at: float = CREATED + 60, digest: str | None = None
) -> dict[str, Any]:
    return {
        "proposal_id": proposal.id,
        "hash": proposal.hash if digest is None else digest,
        "decision": decision,
        "by": by,
        "at": at,
    }


def _groups_of(user: str) -> list[str]:
    return [group for group, members in GROUPS.items() if user in members]


def _judged(decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the chat layer hands on: each decision with its author's approver groups."""
    return [{**d, "groups": _groups_of(str(d["by"]))} for d in decisions]


def test_an_open_proposal_waits_for_enough_distinct_approvers() -> None:
    write, destructive = _proposal(), _proposal("destructive", "drain_queue")
    assert approval_state(write, [], POLICY, CREATED + 60).state == "open"
    assert approval_state(write, [_click(write, "UAPPROVER1")], POLICY, CREATED + 60).state == "approved"
    twice = [_click(destructive, "UAPPROVER1"), _click(destructive, "UAPPROVER1")]
    verdict = approval_state(destructive, twice, POLICY, CREATED + 60)
    assert (verdict.state, verdict.reason) == ("open", "needs 2 distinct approver(s), has 1")
    both = _judged([_click(destructive, "UAPPROVER1"), _click(destructive, "UMEMBER")])
    verdict = approval_state(destructive, both, POLICY, CREATED + 60)
    assert (verdict.state, verdict.approvers) == ("approved", ("UAPPROVER1", "UMEMBER"))


def test_a_reject_by_an_approver_wins_and_one_by_anyone_else_does_nothing() -> None:
    proposal = _proposal()
    approved_then_rejected = [_click(proposal, "UAPPROVER1"), _click(proposal, "UAPPROVER2", "reject")]
    verdict = approval_state(proposal, approved_then_rejected, POLICY, CREATED + 60)
    assert (verdict.state, verdict.reason) == ("rejected", "rejected by UAPPROVER2")
    by_group_member = _judged([_click(proposal, "UMEMBER", "reject", digest="0" * 24)])
    assert approval_state(proposal, by_group_member, POLICY, CREATED + 60).state == "rejected", (
        "a reject counts whatever its hash: refusing is the safe side"
    )
    outsider = [_click(proposal, "UOUTSIDER", "reject")]
    assert approval_state(proposal, outsider, POLICY, CREATED + 60).state == "open"
    assert (
        approval_state(proposal, outsider + [_click(proposal, "UAPPROVER1")], POLICY, CREATED + 60).state == "approved"
    )
    assert approval_state(proposal, outsider, POLICY, EXPIRY + 1).state == "expired"


def test_approvals_that_do_not_count_say_why() -> None:
    proposal = _proposal()
    other = action_hash("rollback_deploy", {"service": "checkout", "to_version": "v1"})
    verdict = approval_state(
        proposal,
        [_click(proposal, "UAPPROVER1", digest=other), _click(proposal, "UOUTSIDER"), _click(proposal, "UMEMBER")],
        POLICY,
        CREATED + 60,
    )
    assert verdict.state == "open"
    assert "approval by UAPPROVER1 is for different parameters" in verdict.reason
    assert "UOUTSIDER is not an approver" in verdict.reason and "UMEMBER is not an approver" in verdict.reason, (
        "a group member counts only with the groups the chat layer looked up"
    )


def test_expiry_ends_an_open_proposal_but_not_one_approved_in_time() -> None:
    proposal, destructive = _proposal(), _proposal("destructive", "drain_queue")
    assert expires_at(proposal, POLICY) == EXPIRY
    assert approval_state(proposal, [], POLICY, EXPIRY).state == "open"
    assert approval_state(proposal, [], POLICY, EXPIRY + 1).reason == "expired"
    late = [_click(proposal, "UAPPROVER1", at=EXPIRY + 1)]
    assert approval_state(proposal, late, POLICY, EXPIRY + 2).state == "expired"
    assert approval_state(proposal, [_click(proposal, "UAPPROVER1")], POLICY, EXPIRY + 3600).state == "approved"
    half = approval_state(destructive, [_click(destructive, "UAPPROVER1")], POLICY, EXPIRY + 1)
    assert (half.state, half.reason) == ("expired", "expired: needs 2 distinct approver(s), has 1")
    undated = proposal.model_copy(update={"created_at": 0.0})
    assert expires_at(undated, POLICY) is None and approval_state(undated, [], POLICY, EXPIRY * 2).state == "open"


def test_no_approval_needed_for_reads_and_the_self_healing_allowlist() -> None:
    assert approval_state(_proposal("read", "get_metrics"), [], POLICY, CREATED).state == "approved"
    healing = Policy.model_validate(
        {**POLICY.model_dump(), "auto_execute": [{"tool": "restart_service", "services": ["web"]}]}
    )
    restart = _proposal(tool="restart_service", service="web")
    assert (
        approval_state(restart, [], healing, EXPIRY * 2).reason
        == "auto-executed: on the policy's self-healing allowlist"
    )
    assert approval_state(restart, [_click(restart, "UAPPROVER1", "reject")], healing, CREATED).state == "rejected"
    assert approval_state(_proposal(tool="restart_service", service="api"), [], healing, CREATED).state == "open"


# ----- properties over click sequences -----

CLICKS = st.lists(
    st.tuples(st.sampled_from(PEOPLE), st.sampled_from(["approve", "reject"]), st.floats(0, 3600), st.booleans()),
    max_size=8,
)
"""(who, decision, seconds after creation, bound to the right hash)."""


def _clicks(proposal: Proposal, drawn: list[tuple[str, str, float, bool]]) -> list[dict[str, Any]]:
    return [
        _click(proposal, who, decision, CREATED + offset, None if right else "f" * 24)
        for who, decision, offset, right in drawn
    ]


def _expected(proposal: Proposal, clicks: list[dict[str, Any]], now: float) -> str:
    """The table, restated from the README's security model."""
    approvers = {"UAPPROVER1", "UAPPROVER2", "UMEMBER"}
    if any(c["by"] in approvers and c["decision"] == "reject" for c in clicks):
        return "rejected"
    counting = {
        c["by"]
        for c in clicks
        if c["by"] in approvers and c["decision"] == "approve" and c["hash"] == proposal.hash and c["at"] <= EXPIRY
    }
    if len(counting) >= POLICY.required(proposal.risk):
        return "approved"
    return "expired" if now > EXPIRY else "open"


@settings(max_examples=300, deadline=None)
@given(risk=st.sampled_from(["write", "destructive"]), drawn=CLICKS, now=st.floats(0, 3600), seed=st.integers())
def test_any_click_sequence_lands_where_the_table_says(
    risk: str, drawn: list[tuple[str, str, float, bool]], now: float, seed: int
) -> None:
    proposal = _proposal(risk)
    clicks = _judged(_clicks(proposal, drawn))
    verdict = approval_state(proposal, clicks, POLICY, CREATED + now)
    assert verdict.state == _expected(proposal, clicks, CREATED + now)

    shuffled = list(clicks)
    random.Random(seed).shuffle(shuffled)
    assert approval_state(proposal, shuffled, POLICY, CREATED + now).state == verdict.state, "order does not matter"
    insiders = [c for c in clicks if c["by"] != "UOUTSIDER"]
    assert approval_state(proposal, insiders, POLICY, CREATED + now).state == verdict.state, (
        "a non-approver's click changes nothing"
    )

    in_time_order = sorted(clicks, key=lambda c: float(c["at"]))
    final = approval_state(proposal, in_time_order, POLICY, max([CREATED + now, *(c["at"] for c in clicks)])).state
    for cut in range(1, len(in_time_order)):  # a settled state stays settled as later clicks arrive
        before = approval_state(proposal, in_time_order[:cut], POLICY, in_time_order[cut - 1]["at"]).state
        if before == "rejected":
            assert final == "rejected"
        elif before in ("approved", "expired"):
            assert final in (before, "rejected"), "only an approver's reject moves a settled proposal"


@settings(max_examples=200, deadline=None)
@given(risk=st.sampled_from(["write", "destructive"]), drawn=CLICKS, now=st.floats(0, 3600))
def test_the_act_node_and_the_chat_layer_agree(
    risk: str, drawn: list[tuple[str, str, float, bool]], now: float
) -> None:
    proposal = _proposal(risk)
    recorded = _clicks(proposal, drawn)  # as the store holds them: no groups
    workspace = SimpleNamespace(group_members=lambda group: GROUPS.get(group, []))
    chat = Approvals(SimpleNamespace(policy=POLICY, workspace=workspace))  # type: ignore[arg-type]
    state = chat.state_of(proposal.model_dump(), recorded, CREATED + now)
    allowed, why = check_approval(proposal, chat.with_groups(recorded), POLICY, CREATED + now)
    assert allowed == (state == "approved"), why
    assert why.startswith("rejected") == (state == "rejected"), why
