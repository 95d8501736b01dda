"""Pure routers: each reads the state and names the next node."""

from __future__ import annotations

from typing import Literal

from bot.agent.state import InvestigationState

__all__ = ["after_investigate", "after_propose"]


def after_investigate(state: InvestigationState) -> Literal["tools", "diagnose"]:
    """Run the planned tool calls, or move on once the reasoner has seen enough."""
    return "tools" if state.get("pending") and not state.get("investigated") else "diagnose"


def after_propose(state: InvestigationState) -> Literal["await_approval", "act", "report"]:
    """Wait for a human when anything needs approval; act at once only on policy's self-healing list."""
    proposals = state.get("proposals", [])
    if state.get("mode") != "interactive" or not proposals:
        return "report"
    if all(p.get("auto") for p in proposals):
        return "act"
    return "await_approval"
