"""The records an investigation produces: incident, evidence, hypotheses, proposals, report."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["Incident", "Evidence", "Hypothesis", "Proposal", "ToolCall", "Report", "action_hash"]


class Incident(BaseModel):
    """Any trigger, normalised."""

    id: str
    title: str
    services: list[str] = Field(default_factory=list)
    severity: str = "warning"
    started_at: float
    onset_within_s: float | None = None
    """A person's report that names only a span ("since this morning", "in the last hour"): the trouble
    began at most this long before ``started_at``, which is only about when they wrote."""
    labels: dict[str, str] = Field(default_factory=dict)
    alertname: str | None = None
    source: str = "text"
    status: Literal["firing", "resolved"] = "firing"
    group_key: str | None = None
    text: str = ""
    raw: Any = None


class ToolCall(BaseModel):
    """One tool invocation and its (redacted, truncated) result."""

    id: str
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    status: str = "ok"
    summary: str = ""
    data: Any = None
    by: str = "rules"
    duration_s: float = 0.0


class Evidence(BaseModel):
    """A piece of a tool result that supports (or refutes) a hypothesis — never a bare claim."""

    call_id: str
    tool: str
    summary: str
    supports: bool = True
    weight: float = 1.0


class Hypothesis(BaseModel):
    service: str
    category: str
    confidence: float
    summary: str
    evidence: list[Evidence] = Field(default_factory=list)
    runbook_id: str | None = None
    source: str = "rules"
    explained_by: str = ""
    """The service whose fault this one follows from (ranked just below it): no rival to that service."""


class Proposal(BaseModel):
    """A remediation action, exactly parameterised, waiting for a decision."""

    id: str
    tool: str
    args: dict[str, Any]
    risk: Literal["read", "write", "destructive"]
    effect: str = ""
    undo: str = ""
    rationale: str = ""
    runbook_id: str | None = None
    hash: str = ""
    created_at: float = 0.0
    status: Literal["proposed", "approved", "rejected", "executed", "failed", "expired", "interrupted"] = "proposed"


def action_hash(tool: str, args: dict[str, Any]) -> str:
    """The identity an approval is bound to: the tool and its exact parameters."""
    body = json.dumps({"tool": tool, "args": args}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:24]


class Report(BaseModel):
    incident: Incident
    summary: str
    root_cause: dict[str, Any]
    verdict: Literal["diagnosed", "no_fault", "inconclusive"] = "diagnosed"
    """``inconclusive``: the telemetry could not be read, so nothing is called healthy or broken."""
    hypotheses: list[Hypothesis]
    proposals: list[Proposal]
    evidence: list[ToolCall]
    runbooks: list[dict[str, Any]] = Field(default_factory=list)
    retrieved_runbooks: list[str] = Field(default_factory=list)
    """The runbook ids retrieval found for the trigger, before the diagnosis matched any."""
    similar_incidents: list[dict[str, Any]] = Field(default_factory=list)
    """Every past incident retrieval found for the trigger, best first, as the diagnosis saw them."""
    related_incidents: list[dict[str, Any]] = Field(default_factory=list)
    """The similar incidents shown to people: on the root cause's service or of its category, relevant
    enough (:func:`bot.report_view.related_incidents`), each with ``matched`` saying why."""
    actions: list[dict[str, Any]] = Field(default_factory=list)
    verification: dict[str, Any] | None = None
    reasoner: str = "rules"
    trust: dict[str, Any] | None = None
    """With the llm reasoner: the model's weight ``w`` in the blend ``(1 − w)·rules + w·model`` and why
    (calibrated, or the default), how many of its hypotheses were kept, grounded or dropped as unsupported."""
    notes: list[str] = Field(default_factory=list)
    tokens: dict[str, int] = Field(default_factory=lambda: {"prompt": 0, "completion": 0, "total": 0})
    tool_calls: int = 0
    steps: int = 0
    duration_s: float = 0.0
