"""The approval policy: invalid files fail at start-up naming the offending line; who may approve
(users and user groups); two distinct approvers for destructive actions (one person twice is one);
expiry; blast radius; and the self-healing allowlist (write actions only, named targets only)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from bot.agent.nodes.approval import check_approval
from bot.models import Proposal, action_hash
from bot.policy import Policy, PolicyError, load_policy


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("approvers: [U1]\naprovers: [U2]\n", 2, "aprovers: Extra inputs are not permitted"),
        ("approvers: [U1]\nrate_limits:\n  per_incident: 3\n  per_hour: -1\n", 4, "rate_limits.per_hour"),
        (
            "auto_execute:\n  - tool: restart_service\n    services: [web]\n  - services: [api]\n",
            4,
            "auto_execute.1.tool",
        ),
        ("approvals_required:\n  write: 1\n  destructive: 2\n  nuke: 3\n", 4, "approvals_required.nuke"),
        (
            "approvals_required:\n  write: 0\n",
            2,
            "approvals_required.write: Input should be greater than or equal to 1",
        ),
        ("expiry_minutes: 30\ndry_run_first: [write, nuke]\n", 2, "dry_run_first.1"),
        ("# comment\n\nexpiry_minutes: 0\n", 3, "expiry_minutes: Input should be greater than 0"),
        ("approvers: [U1\nexpiry_minutes: 3\n", 2, "not valid YAML"),
        ("approvers:\n  - U1\n\tbad: tab\n", 3, "not valid YAML"),
        ("allowed_services: checkout\n", 1, "allowed_services: Input should be a valid list"),
        ("rate_limits: {per_incident: 1, per_day: 4}\n", 1, "rate_limits.per_day"),
    ],
    ids=[
        "unknown-key",
        "nested-value",
        "list-item-missing-field",
        "unknown-risk",
        "zero-approvers",
        "bad-list-item",
        "zero-expiry",
        "broken-flow-list",
        "tab-indent",
        "wrong-type",
        "flow-mapping-extra-key",
    ],
)
def test_invalid_policy_files_fail_with_the_offending_line(tmp_path: Path, text: str, line: int, says: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert f"{path} line {line}:" in str(error.value)
    assert says in str(error.value)


def test_unreadable_or_non_mapping_policies_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "missing.yaml")
    with pytest.raises(PolicyError, match="the policy must be a mapping"):
        load_policy(_write(tmp_path, "- approvers: [U1]\n"))


def test_the_bundled_default_is_valid_and_safe() -> None:
    policy = load_policy()
    assert policy.approvers == [] and not policy.may_approve("U1")
    assert policy.required("write") == 1 and policy.required("destructive") == 2 and policy.required("read") == 0
    assert policy.auto_execute == [] and policy.dry_run_first == ["destructive"]
    assert load_policy(approvers=["U1", "S1"]).approvers == ["S1", "U1"]


def test_approvers_and_user_groups() -> None:
    policy = Policy(approvers=["UAPPROVER1", "SONCALL01"])
    assert policy.may_approve("UAPPROVER1")
    assert policy.may_approve("UMEMBER", groups=["SONCALL01"])
    assert not policy.may_approve("UMEMBER", groups=["SOTHER"])
    assert not policy.may_approve("UOUTSIDER") and not policy.may_approve("")
    assert not policy.may_approve("SONCALL01 ") and not policy.may_approve("uapprover1")


def _proposal(
    risk: str = "write", tool: str = "rollback_deploy", created: float | None = None, **args: Any
) -> Proposal:
    args = args or {"service": "checkout", "to_version": "v2.13.2"}
    digest = action_hash(tool, args)
    return Proposal(
        id=f"p-{digest[:10]}",
        tool=tool,
        args=args,
        risk=risk,
        hash=digest,  # type: ignore[arg-type]
        created_at=time.time() if created is None else created,
    )


def _vote(proposal: Proposal, by: str, decision: str = "approve", **extra: Any) -> dict[str, Any]:
    return {
        "proposal_id": proposal.id,
        "hash": proposal.hash,
        "decision": decision,
        "by": by,
        "at": time.time(),
        **extra,
    }


POLICY = Policy(approvers=["UAPPROVER1", "UAPPROVER2", "SONCALL01"])


def test_one_approver_runs_a_write_action() -> None:
    proposal = _proposal()
    assert check_approval(proposal, [_vote(proposal, "UAPPROVER1")], POLICY, time.time()) == (
        True,
        "approved by UAPPROVER1",
    )
    assert check_approval(proposal, [_vote(proposal, "UMEMBER", groups=["SONCALL01"])], POLICY, time.time())[0]


def test_destructive_needs_two_distinct_approvers_and_self_approval_twice_counts_once() -> None:
    proposal = _proposal("destructive", "drain_queue", service="checkout")
    once_twice = [_vote(proposal, "UAPPROVER1"), _vote(proposal, "UAPPROVER1")]
    allowed, why = check_approval(proposal, once_twice, POLICY, time.time())
    assert not allowed and why == "needs 2 distinct approver(s), has 1"
    plus_outsider = once_twice + [_vote(proposal, "UOUTSIDER")]
    allowed, why = check_approval(proposal, plus_outsider, POLICY, time.time())
    assert not allowed and "UOUTSIDER is not an approver" in why
    assert check_approval(
        proposal, [_vote(proposal, "UAPPROVER1"), _vote(proposal, "UAPPROVER2")], POLICY, time.time()
    ) == (True, "approved by UAPPROVER1, UAPPROVER2")


def test_an_approval_is_bound_to_the_exact_parameters() -> None:
    proposal = _proposal()
    other = action_hash("rollback_deploy", {"service": "checkout", "to_version": "v1.0.0"})
    allowed, why = check_approval(proposal, [_vote(proposal, "UAPPROVER1", hash=other)], POLICY, time.time())
    assert not allowed and "for different parameters" in why
    tampered = proposal.model_copy(update={"args": {"service": "payments", "to_version": "v2.13.2"}})
    allowed, why = check_approval(tampered, [_vote(tampered, "UAPPROVER1")], POLICY, time.time())
    assert not allowed and why == "proposal parameters changed after it was proposed"


def test_a_rejection_by_an_approver_wins_and_one_by_an_outsider_does_not() -> None:
    proposal = _proposal()
    votes = [_vote(proposal, "UAPPROVER1"), _vote(proposal, "UAPPROVER2", "reject")]
    assert check_approval(proposal, votes, POLICY, time.time()) == (False, "rejected by UAPPROVER2")
    votes = [_vote(proposal, "UAPPROVER1"), _vote(proposal, "UOUTSIDER", "reject")]
    assert check_approval(proposal, votes, POLICY, time.time())[0]


def test_expiry() -> None:
    created = time.time() - 3600
    proposal = _proposal(created=created)
    late = _vote(proposal, "UAPPROVER1", at=created + 31 * 60)
    allowed, why = check_approval(proposal, [late], POLICY, time.time())
    assert not allowed and why == "expired"
    assert check_approval(proposal, [], POLICY, time.time()) == (False, "expired")
    in_time = _vote(proposal, "UAPPROVER1", at=created + 60)
    assert check_approval(proposal, [in_time], POLICY, time.time())[0], "approved in time, resumed after a restart"
    short = Policy(approvers=["UAPPROVER1"], expiry_minutes=1)
    assert not check_approval(_proposal(created=time.time() - 61), [], short, time.time())[0]


def test_blast_radius() -> None:
    policy = Policy(approvers=["UAPPROVER1"], allowed_services=["checkout", "cart"], allowed_namespaces=["shop"])
    assert policy.target_allowed("checkout") and policy.target_allowed("cart", "shop")
    assert not policy.target_allowed("payments") and not policy.target_allowed("checkout", "kube-system")
    proposal = _proposal(service="payments", to_version="v1")
    allowed, why = check_approval(proposal, [_vote(proposal, "UAPPROVER1")], policy, time.time())
    assert not allowed and why == "target outside the policy's blast radius"
    node = _proposal("destructive", "cordon_node", node="node-1")
    votes = [_vote(node, "UAPPROVER1"), _vote(node, "UAPPROVER2")]
    assert not check_approval(
        node, votes, policy.model_copy(update={"approvers": ["UAPPROVER1", "UAPPROVER2"]}), time.time()
    )[0], "a target without a service is outside a service allowlist"


def test_self_healing_allowlist_only_for_listed_write_actions_and_targets() -> None:
    policy = Policy.model_validate(
        {
            "auto_execute": [
                {"tool": "restart_service", "services": ["web"]},
                {"tool": "drain_queue", "services": ["web"]},
            ]
        }
    )
    assert policy.auto_executes("restart_service", "write", "web")
    assert not policy.auto_executes("restart_service", "write", "checkout"), "only the named services"
    assert not policy.auto_executes("scale_service", "write", "web"), "only the listed tools"
    assert not policy.auto_executes("drain_queue", "destructive", "web"), "destructive never auto-executes"
    restart = _proposal(tool="restart_service", service="web")
    assert check_approval(restart, [], policy, time.time()) == (
        True,
        "auto-executed: on the policy's self-healing allowlist",
    )
    elsewhere = _proposal(tool="restart_service", service="checkout")
    assert not check_approval(elsewhere, [], policy, time.time())[0]
    drain = _proposal("destructive", "drain_queue", service="web")
    assert not check_approval(drain, [], policy, time.time())[0]


def test_rate_limit_defaults() -> None:
    policy = Policy.model_validate({"rate_limits": {"per_incident": 1}})
    assert policy.rate_limits.per_incident == 1 and policy.rate_limits.per_hour == 10
