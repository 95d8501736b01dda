"""The rules reasoner: deterministic, no LLM. Plans the analysis tools and the matched runbooks'
checks, then ranks hypotheses by how well each runbook's declared checks fit each candidate service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.reasoners.rules.evidence import build_view
from bot.reasoners.rules.ranking import rank_hypotheses
from tools.sources.timespec import to_datetime

if TYPE_CHECKING:
    from bot.agent.context import AgentContext
    from bot.agent.state import InvestigationState

__all__ = ["RulesReasoner"]


def detected_onset(state: InvestigationState) -> float:
    """The onset the metrics show (the leading anomalous service's change point), else the trigger's time."""
    view = build_view(state.get("calls", []))
    for service in view.ranked[:1]:
        onset = view.services[service].get("onset")
        if onset is not None:
            return min(float(onset), float(state["incident"]["started_at"]))
    return float(state["incident"]["started_at"])


def _call(tool: str, **args: Any) -> dict[str, Any]:
    return {"tool": tool, "args": args, "by": "rules"}


class RulesReasoner:
    name = "rules"

    def plan(self, state: InvestigationState, ctx: AgentContext) -> dict[str, Any]:
        """Round 0: anomaly ranking and Kubernetes state; round 1: changes and log spikes around the
        detected onset, plus the matched runbooks' metric checks; then done."""
        incident = state["incident"]
        sources = ctx.sources
        step = state.get("round", 0)
        if step == 0:
            calls = []
            if sources.metrics is not None:
                calls.append(_call("rank_anomalies", onset=to_datetime(float(incident["started_at"])).isoformat()))
            if sources.kubernetes is not None:
                calls += [_call("k8s_pods"), _call("k8s_events"), _call("k8s_nodes")]
            if sources.alerts is not None:
                calls.append(_call("firing_alerts"))
            if calls:
                return {"pending": calls}
            step = 1
        if step == 1:
            onset = to_datetime(detected_onset(state)).isoformat()
            calls = []
            if sources.changes is not None:
                calls.append(_call("correlate_changes", onset=onset, services=list(incident.get("services", []))))
            if sources.logs is not None:
                calls.append(_call("log_template_spikes", onset=onset))
            if sources.metrics is not None:
                calls += self._runbook_checks(state, ctx)
            if calls:
                return {"pending": calls}
        return {"investigated": True}

    def _runbook_checks(self, state: InvestigationState, ctx: AgentContext) -> list[dict[str, Any]]:
        """The retrieved runbooks' metric checks, queried for the leading candidate service."""
        view = build_view(state.get("calls", []))
        leading = next(iter(view.ranked), None) or next(iter(state["incident"].get("services", [])), None)
        if not leading or ctx.kb is None:
            return []
        by_id = {rb.id: rb for rb in ctx.kb.runbooks()}
        calls: list[dict[str, Any]] = []
        for hit in state.get("runbooks", [])[:2]:
            runbook = by_id.get(hit["doc_id"])
            for check in runbook.checks if runbook else []:
                if check.metric and len(calls) < 4:
                    query = (check.query or f'{check.metric}{{service="$service"}}').replace("$service", leading)
                    calls.append(_call("prometheus_query_range", query=query, lookback="1h"))
        return calls

    def diagnose(self, state: InvestigationState, ctx: AgentContext) -> dict[str, Any]:
        incident = state["incident"]
        view = build_view(state.get("calls", []))
        runbooks = ctx.kb.runbooks() if ctx.kb is not None else []
        hypotheses = rank_hypotheses(view, runbooks, list(incident.get("services", [])),
                                     [h["doc_id"] for h in state.get("runbooks", [])],
                                     state.get("similar", []), incident.get("alertname"), ctx.sources.topology)
        return {"hypotheses": [h.model_dump() for h in hypotheses]}
