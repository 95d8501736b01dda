"""What nodes need besides the state: settings, tools, sources, knowledge, reasoners, store, policy.
Passed per run as LangGraph's runtime context; never global."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from bot.settings import Settings
from tools import ToolContext, ToolRegistry
from tools.rca.params import Params
from tools.sources import Sources

if TYPE_CHECKING:
    from bot.policy import Policy
    from bot.reasoners.base import Reasoner
    from bot.store.incidents import IncidentStore
    from knowledge.retrieval import KnowledgeBase

__all__ = ["AgentContext", "ApprovalMode"]

ApprovalMode = Literal["interactive", "propose_only"]


@dataclass
class AgentContext:
    settings: Settings
    registry: ToolRegistry
    sources: Sources
    reasoners: dict[str, Reasoner]
    kb: KnowledgeBase | None = None
    policy: Policy | None = None
    store: IncidentStore | None = None
    approval_mode: ApprovalMode = "interactive"
    clock: Callable[[], float] = time.time
    """The time the investigation judges "now" at (a scenario's replay time, or the real clock)."""
    verify_wait_s: float = 0.0
    """How long verify may poll live telemetry for recovery."""
    progress: Callable[[str, dict[str, Any]], None] | None = None
    """Called as nodes move (Slack progress message, console)."""
    params: Params = field(default_factory=Params)
    """The RCA engine's parameters: the shipped defaults, or what ``andon tune`` fitted."""

    def tool_context(self, onset: float | None = None, dry_run: bool = False) -> ToolContext:
        return ToolContext(sources=self.sources, now=self.clock(), onset=onset, dry_run=dry_run, params=self.params)

    def announce(self, stage: str, **info: Any) -> None:
        if self.progress is not None:
            with contextlib.suppress(Exception):  # progress is best effort; never break an investigation
                self.progress(stage, info)
