"""await_approval: pause for a human decision (only ``interrupt()``); act: execute what was approved.

``act`` is the only place an actuator runs. It re-checks every approval against the policy through the
approval state machine (``bot.approval``, the one the chat layer uses too): the approval must be bound to
the proposal's exact tool and parameters (hash), come from an authorised approver (two distinct ones for
destructive actions), arrive before expiry, and stay within the blast radius and the rate limits. The
store's execution claim makes each action run at most once across processes.
"""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from bot.agent.context import AgentContext
from bot.agent.state import InvestigationState
from bot.approval import approval_state
from bot.models import Proposal, action_hash
from bot.policy import Policy, load_policy

__all__ = ["await_approval", "act", "check_approval"]


def await_approval(state: InvestigationState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    answer = interrupt({"incident_id": state["incident"]["id"], "proposals": state.get("proposals", [])})
    return {"decisions": list((answer or {}).get("decisions", [])) if isinstance(answer, dict) else []}


def check_approval(proposal: Proposal, decisions: list[dict[str, Any]], policy: Policy, now: float) -> tuple[bool, str]:
    """Whether ``proposal`` may run now, and why (not): the approval state machine (``bot.approval``) must
    say ``approved``, the parameters must still match the hash, and the target must be within the policy's
    blast radius."""
    verdict = approval_state(proposal, decisions, policy, now)
    if verdict.state == "rejected":
        return False, verdict.reason
    if action_hash(proposal.tool, proposal.args) != proposal.hash:
        return False, "proposal parameters changed after it was proposed"
    if verdict.state != "approved":
        return False, verdict.reason
    if not policy.target_allowed(str(proposal.args.get("service", "")), proposal.args.get("namespace")):
        return False, "target outside the policy's blast radius"
    return True, verdict.reason


def _claimed_elsewhere(ctx: AgentContext, incident_id: str, digest: str) -> dict[str, Any]:
    """The action was claimed before: say whether it ran, is running, or was interrupted by a crash."""
    earlier = next((e for e in ctx.store.executions(incident_id) if e["hash"] == digest), None) if ctx.store else None
    status = str(earlier["status"]) if earlier else "running"
    if status == "interrupted":
        return {
            "status": "interrupted",
            "decision": "interrupted by a restart while it ran; not re-run (check the target's state by hand)",
        }
    if status == "running":
        return {"status": "skipped", "decision": "in progress elsewhere (claimed by another process)"}
    return {
        "status": "skipped",
        "decision": f"already ran once ({status}); not re-run",
        "result": earlier.get("result") if earlier else None,
    }


def act(state: InvestigationState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    policy = ctx.policy or load_policy()
    incident_id = state["incident"]["id"]
    decisions = list(state.get("decisions", []))
    actions: list[dict[str, Any]] = []
    executed = ctx.store.count_executions(incident_id=incident_id) if ctx.store else 0
    for raw in state.get("proposals", []):
        proposal = Proposal.model_validate(raw)
        allowed, why = check_approval(proposal, decisions, policy, time.time())
        record: dict[str, Any] = {
            "proposal_id": proposal.id,
            "tool": proposal.tool,
            "args": proposal.args,
            "risk": proposal.risk,
            "hash": proposal.hash,
            "decision": why,
        }
        if not allowed:
            record["status"] = "rejected" if why.startswith("rejected") else "not_executed"
            actions.append(record)
            if ctx.store:
                ctx.store.audit(incident_id, "refused", proposal.tool, proposal.args, why)
            continue
        if executed >= policy.rate_limits.per_incident or (
            ctx.store and ctx.store.count_executions(since=time.time() - 3600) >= policy.rate_limits.per_hour
        ):
            record.update(status="not_executed", decision="rate limit reached")
            actions.append(record)
            if ctx.store:
                ctx.store.audit(incident_id, "refused", proposal.tool, proposal.args, "rate limit reached")
            continue
        if ctx.store and not ctx.store.claim_execution(incident_id, proposal.hash, proposal.tool, proposal.args, why):
            record.update(_claimed_elsewhere(ctx, incident_id, proposal.hash))
            actions.append(record)
            continue
        ctx.announce("acting", tool=proposal.tool)
        if proposal.risk in policy.dry_run_first:
            dry = ctx.registry.run(proposal.tool, {**proposal.args, "dry_run": True}, ctx.tool_context(dry_run=True))
            record["dry_run"] = dry.summary
        result = ctx.registry.run(proposal.tool, proposal.args, ctx.tool_context())
        executed += 1
        record.update(status="executed" if result.status == "ok" else "failed", result=result.summary, at=time.time())
        if ctx.store:
            ctx.store.finish_execution(incident_id, proposal.hash, record["status"], result.summary)
        actions.append(record)
    return {"actions": actions}
