"""The graph state. Plain JSON-able values only, so any checkpointer (SQLite, PostgreSQL) can persist
it and another process can resume it."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

__all__ = ["InvestigationInput", "InvestigationState"]


class InvestigationInput(TypedDict, total=False):
    """What starts an investigation."""

    trigger: Any
    """Free text, a Slack message, an Alertmanager webhook or a PagerDuty event."""
    incident: dict[str, Any]
    """Optionally, the trigger already normalised (so the caller knows the incident id up front)."""


class InvestigationState(TypedDict, total=False):
    trigger: Any
    """The raw trigger, as received."""
    incident: dict[str, Any]
    """The normalised :class:`bot.models.Incident`."""
    runbooks: list[dict[str, Any]]
    """Retrieved runbook hits, best first (after diagnosis: the matched runbooks first)."""
    retrieved: list[str]
    """The runbook ids retrieval found for the trigger, best first, as the diagnosis saw them."""
    similar: list[dict[str, Any]]
    """Retrieved similar past incidents, best first."""
    calls: Annotated[list[dict[str, Any]], operator.add]
    """Every tool call made so far, with its result (:class:`bot.models.ToolCall`)."""
    pending: list[dict[str, Any]]
    """Tool calls planned by the reasoner, waiting for the tools node."""
    model_proposals: Annotated[list[dict[str, Any]], operator.add]
    """Write/destructive calls the model asked for: never executed, only offered as proposals."""
    round: int
    """How many investigate steps have run."""
    investigated: bool
    """True when the reasoner has nothing more to look at (or the budget ran out)."""
    reasoner: str
    """The reasoner in effect (``llm`` falls back to ``rules`` on failure)."""
    llm_messages: list[dict[str, Any]]
    """The LLM conversation so far (llm reasoner only)."""
    trust: dict[str, Any]
    """How the model's ranking was blended in (llm reasoner only): the weight ``w`` and why, what the model
    named, what was dropped as unsupported, and both sides' confidences (``bot.reasoners.llm.ranking``)."""
    hypotheses: list[dict[str, Any]]
    """Ranked root-cause hypotheses with confidence and evidence."""
    verdict: str
    """``diagnosed``, ``no_fault``, or ``inconclusive`` (the telemetry could not be read)."""
    proposals: list[dict[str, Any]]
    """Remediation proposals for the best hypothesis."""
    decisions: list[dict[str, Any]]
    """Human decisions on proposals: proposal id, hash, approve/reject, who, when."""
    actions: list[dict[str, Any]]
    """What the act node executed (or refused) and the outcome."""
    verification: dict[str, Any]
    """Whether the symptoms cleared after the actions."""
    report: dict[str, Any]
    """The final :class:`bot.models.Report`."""
    notes: Annotated[list[str], operator.add]
    """Things the report must say: fallbacks, budget exhaustion, refused actions."""
    tokens: dict[str, int]
    """LLM prompt/completion tokens used for this incident, and the model calls (``calls``) they took."""
    started: float
    """Wall-clock start of the investigation (unix seconds)."""
    mode: str
    """``interactive`` (pause for approval) or ``propose_only`` (report proposals, act on none)."""
