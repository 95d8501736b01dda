"""investigate: ask the reasoner what to look at next, within the budget; tools: run those calls."""

from __future__ import annotations

import json
import time
from typing import Any

from langgraph.runtime import Runtime

from bot.agent.context import AgentContext
from bot.agent.state import InvestigationState
from bot.models import ToolCall, action_hash
from tools import Risk

__all__ = ["investigate", "run_tools", "budget_exhausted"]


def budget_exhausted(state: InvestigationState, ctx: AgentContext) -> str | None:
    settings = ctx.settings
    if state.get("round", 0) >= settings.max_steps:
        return f"step budget ({settings.max_steps}) reached"
    if len(state.get("calls", [])) >= settings.max_tool_calls:
        return f"tool-call budget ({settings.max_tool_calls}) reached"
    if time.time() - float(state.get("started", time.time())) > settings.max_seconds:
        return f"time budget ({settings.max_seconds:.0f}s) reached"
    if state.get("tokens", {}).get("total", 0) > settings.max_tokens:
        return f"token budget ({settings.max_tokens}) reached"
    return None


def investigate(state: InvestigationState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    reason = budget_exhausted(state, ctx)
    if reason:
        return {"investigated": True, "pending": [], "notes": [f"investigation stopped: {reason}"]}
    reasoner = ctx.reasoners[state.get("reasoner", "rules")]
    ctx.announce("investigating", round=state.get("round", 0))
    update = reasoner.plan(state, ctx)
    update["round"] = state.get("round", 0) + 1
    return update


def _signature(tool: str, args: dict[str, Any]) -> str:
    return tool + json.dumps(args, sort_keys=True, default=str)


def run_tools(state: InvestigationState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Run the planned read-only calls. Write/destructive calls become proposals, never executions."""
    ctx = runtime.context
    done = {_signature(c["tool"], c.get("args", {})) for c in state.get("calls", [])}
    room = max(ctx.settings.max_tool_calls - len(state.get("calls", [])), 0)
    onset = float(state["incident"]["started_at"])
    calls, offered, notes = [], [], []
    for index, planned in enumerate(state.get("pending", [])):
        tool, args = str(planned.get("tool", "")), dict(planned.get("args") or {})
        call_id = planned.get("id") or f"c{len(state.get('calls', [])) + index + 1}"
        if tool in ctx.registry and ctx.registry.get(tool).risk is not Risk.READ:
            offered.append(
                {"tool": tool, "args": args, "by": planned.get("by", "llm"), "hash": action_hash(tool, args)}
            )
            calls.append(
                ToolCall(
                    id=call_id,
                    tool=tool,
                    args=args,
                    status="error",
                    by=planned.get("by", "rules"),
                    summary=f"{tool} changes systems: recorded as a proposal that needs approval, not executed",
                ).model_dump()
            )
            continue
        signature = _signature(tool, args)
        if signature in done:
            calls.append(
                ToolCall(
                    id=call_id,
                    tool=tool,
                    args=args,
                    status="error",
                    by=planned.get("by", "rules"),
                    summary="identical call already made; use the earlier result",
                ).model_dump()
            )
            continue
        if room <= 0:
            notes.append(f"tool-call budget reached; skipped {tool}")
            continue
        done.add(signature)
        room -= 1
        ctx.announce("tool", tool=tool)
        started = time.time()
        result = ctx.registry.run(tool, args, ctx.tool_context(onset=onset))
        calls.append(
            ToolCall(
                id=call_id,
                tool=tool,
                args=args,
                status=result.status,
                summary=result.summary,
                data=result.data,
                by=planned.get("by", "rules"),
                duration_s=round(time.time() - started, 3),
            ).model_dump(mode="json")
        )
    update: dict[str, Any] = {"calls": calls, "pending": [], "notes": notes}
    if offered:
        update["model_proposals"] = offered
    return update
