"""The reasoner interface: plan the next tool calls, then rank hypotheses from the evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.agent.context import AgentContext
    from bot.agent.state import InvestigationState

__all__ = ["Reasoner"]


class Reasoner(Protocol):
    name: str

    def plan(self, state: InvestigationState, ctx: AgentContext) -> dict[str, Any]:
        """A state update: ``pending`` tool calls, or ``investigated=True`` when done."""
        ...

    def diagnose(self, state: InvestigationState, ctx: AgentContext) -> dict[str, Any]:
        """A state update with ranked ``hypotheses`` (each citing tool-call evidence)."""
        ...
