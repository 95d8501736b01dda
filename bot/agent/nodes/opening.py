"""intake: normalise the trigger; retrieve: runbooks and similar past incidents."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from bot.agent.context import AgentContext
from bot.agent.state import InvestigationState
from bot.intake import incident_from_trigger
from bot.models import Incident
from knowledge.query import LEADING_HYPOTHESES, SearchQuery, incident_query
from tools.rca.evidence import read_evidence
from tools.redaction import redact_data

__all__ = ["intake", "retrieve", "retrieve_for_diagnosis", "search_knowledge"]


def intake(state: InvestigationState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    ctx.announce("intake")
    if state.get("incident"):
        incident = Incident.model_validate(state["incident"])
    else:
        incident = incident_from_trigger(state["trigger"], now=ctx.clock(), known_services=ctx.sources.services)
    # the incident reaches the model, the report and Slack: secrets pasted into an alert or a message stop here
    return {
        "incident": redact_data(incident.model_dump(mode="json", exclude={"raw"})),
        "started": time.time(),
        "round": 0,
        "reasoner": ctx.settings.reasoner,
        "mode": ctx.approval_mode,
        "tokens": {"prompt": 0, "completion": 0, "total": 0},
    }


def retrieve(state: InvestigationState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    ctx.announce("retrieving", detail="runbooks and past incidents")
    if ctx.kb is None:
        return {"runbooks": [], "similar": [], "notes": ["no knowledge base configured: runbooks not retrieved"]}
    try:
        runbooks, similar = search_knowledge(ctx.kb, incident_query(state["incident"]))
    except Exception as exc:  # a broken vector store degrades the answer, never stops it
        return {"runbooks": [], "similar": [], "notes": [f"knowledge base search failed: {exc}"]}
    return {"runbooks": runbooks, "similar": similar, "retrieved": [h["doc_id"] for h in runbooks]}


def search_knowledge(kb: Any, query: SearchQuery) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The runbooks and the similar past incidents for ``query``, best first, as plain hits."""
    found = []
    for kind in ("runbook", "incident"):
        hits = kb.search(
            query.text,
            k=5,
            kind=kind,
            service=query.service,
            alertname=query.alertname,
            **({"categories": query.categories} if query.categories else {}),
        )
        found.append([h.to_dict() for h in hits])
    return found[0], found[1]


def retrieve_for_diagnosis(
    state: InvestigationState, hypotheses: list[dict[str, Any]], ctx: AgentContext
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Runbooks and similar past incidents searched again once the diagnosis is known: the incident's words plus
    the leading hypotheses' services and categories and the names of the signals that moved on those services,
    with documents of those categories and of the leading suspect's service leading (:func:`incident_query`).
    The first retrieval's hits when there is nothing to add or the search fails."""
    first = state.get("runbooks", []), state.get("similar", [])
    if ctx.kb is None or not hypotheses:
        return first
    evidence = read_evidence(state.get("calls", []))
    leading = [h for h in hypotheses[:LEADING_HYPOTHESES] if h.get("service")]
    moved = sorted(
        (shift for h in leading for shift in evidence.series(str(h["service"]))),
        key=lambda shift: shift.score,
        reverse=True,
    )
    query = incident_query(state["incident"], hypotheses, (shift.signal or shift.metric for shift in moved))
    try:
        return search_knowledge(ctx.kb, query)
    except Exception:  # the first retrieval's hits stand
        return first
