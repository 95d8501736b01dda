"""Turn the best hypothesis into exact, approvable proposals drawn from its runbook's actions."""

from __future__ import annotations

from typing import Any

from bot.models import Hypothesis, Proposal, action_hash
from knowledge.documents import Action, Runbook
from tools import Risk, ToolRegistry

__all__ = ["propose_actions", "DEFAULT_ACTIONS"]

DEFAULT_ACTIONS: dict[str, list[Action]] = {
    "bad_deploy": [
        Action(
            tool="rollback_deploy",
            effect="Return to the last good version; errors should stop.",
            undo="Redeploy the new version once fixed.",
        )
    ],
    "memory_leak": [Action(tool="restart_service", effect="Fresh processes release the leaked memory for a while.")],
    "cpu_saturation": [Action(tool="scale_service", args={"replicas": "+2"}, effect="More replicas share the load.")],
    "connection_pool_exhaustion": [Action(tool="restart_service", effect="Releases stuck connections.")],
    "crash_loop": [Action(tool="rollback_deploy", effect="Return to the last version that started.")],
    "queue_backlog": [
        Action(tool="scale_service", args={"replicas": "+2"}, effect="More consumers drain the backlog.")
    ],
    "bad_config": [
        Action(tool="toggle_flag", args={"flag": "$flag"}, effect="Turn the flag that changed back off."),
        Action(tool="run_automation", args={"job": "config-revert"}, effect="Revert to the previous configuration."),
    ],
    "traffic_surge": [Action(tool="scale_service", args={"replicas": "+3"}, effect="Capacity for the extra load.")],
    "thread_pool_exhaustion": [Action(tool="restart_service", effect="Frees the stuck worker threads.")],
}


def _unfit(action: Action, hypothesis: Hypothesis, context: dict[str, Any]) -> bool:
    """Actions that cannot help this diagnosis, or make it worse (and those the runbook rules out)."""
    if any(not context.get(fact) for fact in action.when) or any(context.get(fact) for fact in action.unless):
        return True
    growing = action.tool == "scale_service" and not str(action.args.get("replicas", "+")).startswith("-")
    if growing and (context.get("overloaded") or hypothesis.category == "rate_limiting"):
        return True  # more replicas push more load onto what already refuses or drowns in it
    if growing and context.get("skewed"):
        return True  # the work piled onto a few pods (a hot key, a hot partition): new replicas get none of it
    if growing and context.get("crashing"):
        return True  # replicas that crash on their input (a poison message, a bad config) crash the same way
    if action.tool == "restart_service" and context.get("datastore"):
        return True  # a database, cache or broker restarted drops every client, loses warm state, may fail over
    if action.tool == "rollback_deploy" and not context.get("deployed"):
        return True  # nothing was deployed: there is no release to go back to (a migration, a config change)
    if action.tool == "rollback_deploy" and context.get("migrated"):
        return True  # the trouble is a migration's (its locks, its table rewrite): old code waits on it the same
    return (
        action.tool == "restart_service" and hypothesis.category == "expired_credentials" and not context.get("rotated")
    )  # a restart only helps when there is a new secret to pick up


def _fill_args(action: Action, hypothesis: Hypothesis, context: dict[str, Any]) -> dict[str, Any] | None:
    if _unfit(action, hypothesis, context):
        return None
    args: dict[str, Any] = {}
    for key, value in action.args.items():
        if isinstance(value, str) and "$" in value:
            for name, replacement in context.items():
                value = value.replace(f"${name}", str(replacement))
            if "$" in value:
                return None  # a parameter we could not determine: never guess an action's target
        args[key] = value
    if action.tool in ("create_silence",):
        args.setdefault("alertname", context.get("alertname") or "unknown")
        args["service"] = hypothesis.service
    elif action.tool == "cordon_node":
        if not context.get("node"):
            return None
        args.setdefault("node", context["node"])
    else:
        args.setdefault("service", hypothesis.service)  # the runbook may aim elsewhere ($caller: a fallback)
    if action.tool == "rollback_deploy" and context.get("previous_version"):
        args.setdefault("to_version", context["previous_version"])
    if action.tool == "toggle_flag":
        if "flag" not in args:
            if not context.get("flag"):
                return None
            args["flag"] = context["flag"]
        args.setdefault("enabled", False)
    return args


def propose_actions(
    hypothesis: Hypothesis, runbook: Runbook | None, registry: ToolRegistry, context: dict[str, Any], limit: int = 3
) -> list[Proposal]:
    """Proposals for ``hypothesis``: its runbook's actions (or the category's defaults), exactly parameterised."""
    if hypothesis.category == "no_fault":
        return []
    actions = (
        list(runbook.actions) if runbook and runbook.actions else list(DEFAULT_ACTIONS.get(hypothesis.category, []))
    )
    gentle = [
        a
        for a in actions
        if a.risk != "destructive" and a.tool in registry and registry.get(a.tool).risk.value != "destructive"
    ]
    if gentle:
        actions = gentle  # least harm first: destructive steps are offered only when nothing gentler exists
    proposals: list[Proposal] = []
    for action in actions:
        if action.tool not in registry or len(proposals) >= limit:
            continue
        tool = registry.get(action.tool)
        args = _fill_args(action, hypothesis, context)
        if args is None:
            continue
        try:
            tool.args_model.model_validate(args)
        except Exception:
            continue
        risk = max(Risk(action.risk), tool.risk, key=lambda r: ["read", "write", "destructive"].index(r.value))
        digest = action_hash(action.tool, args)
        proposals.append(
            Proposal(
                id=f"p-{digest[:10]}",
                tool=action.tool,
                args=args,
                risk=risk.value,
                effect=action.effect or tool.description,
                undo=action.undo or tool.undo,
                rationale=hypothesis.summary,
                runbook_id=runbook.id if runbook else None,
                hash=digest,
            )
        )
    return proposals
