"""intake: normalise the trigger; retrieve: runbooks and similar past incidents."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from bot.agent.context import AgentContext
from bot.agent.state import InvestigationState
from bot.intake import incident_from_trigger
from bot.models import Incident
from tools.redaction import redact_data

__all__ = ["intake", "retrieve"]


def intake(state: InvestigationState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    ctx.announce("intake")
    if state.get("incident"):
        incident = Incident.model_validate(state["incident"])
    else:
        incident = incident_from_trigger(state["trigger"], now=ctx.clock(), known_services=ctx.sources.services)
    # the incident reaches the model, the report and Slack: secrets pasted into an alert or a message stop here
    return {"incident": redact_data(incident.model_dump(mode="json", exclude={"raw"})), "started": time.time(), "round": 0,
            "reasoner": ctx.settings.reasoner, "mode": ctx.approval_mode, "tokens": {"prompt": 0, "completion": 0, "total": 0}}


def retrieve(state: InvestigationState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    ctx.announce("retrieving", detail="runbooks and past incidents")
    if ctx.kb is None:
        return {"runbooks": [], "similar": [], "notes": ["no knowledge base configured: runbooks not retrieved"]}
    incident = state["incident"]
    query = " ".join([incident["title"], incident.get("text", ""), " ".join(incident.get("services", []))])
    service = next(iter(incident.get("services", [])), None)
    try:
        runbooks = ctx.kb.search(query, k=5, kind="runbook", service=service, alertname=incident.get("alertname"))
        similar = ctx.kb.search(query, k=5, kind="incident", service=service, alertname=incident.get("alertname"))
    except Exception as exc:  # a broken vector store degrades the answer, never stops it
        return {"runbooks": [], "similar": [], "notes": [f"knowledge base search failed: {exc}"]}
    return {"runbooks": [h.to_dict() for h in runbooks], "similar": [h.to_dict() for h in similar],
            "retrieved": [h.doc_id for h in runbooks]}
