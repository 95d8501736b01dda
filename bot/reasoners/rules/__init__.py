"""The rules reasoner: deterministic, no LLM. Plans the analysis tools and the matched runbooks' checks,
then lets the RCA engine (``tools.rca``) rank hypotheses from the evidence they return."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.models import Evidence, Hypothesis
from tools.rca.capacity import at_capacity
from tools.rca.diagnose import Context, diagnose
from tools.rca.evidence import Evidence as Gathered
from tools.rca.evidence import read_evidence
from tools.rca.records import Finding, Shift
from tools.rca.verdict import NON_FAULT_KINDS, RECURRING_LEADERS, blind_spots
from tools.rca.vocabulary import ACCUMULATING, is_limit
from tools.sources.timespec import to_datetime

if TYPE_CHECKING:
    from bot.agent.context import AgentContext
    from bot.agent.state import InvestigationState

__all__ = ["RulesReasoner", "detected_onset", "to_hypothesis"]

SPAN_FLOOR_S = 3600.0
"""A span a person names ("in the last half hour") is searched at least as far back as an alert is (the
ranking's default hour): a short span reads too little history to know what normal was."""


def detected_onset(state: InvestigationState) -> float:
    """The onset the metrics show (the leading anomalous service's change point), else the trigger's time."""
    evidence = read_evidence(state.get("calls", []))
    for service in evidence.ranked[:1]:
        onset = evidence.services[service].onset
        if onset is not None:
            return min(float(onset), float(state["incident"]["started_at"]))
    return float(state["incident"]["started_at"])


def _call(tool: str, **args: Any) -> dict[str, Any]:
    return {"tool": tool, "args": args, "by": "rules"}


def to_hypothesis(finding: Finding) -> Hypothesis:
    return Hypothesis(
        service=finding.service,
        category=finding.category,
        confidence=finding.confidence,
        summary=finding.summary,
        runbook_id=finding.runbook_id,
        explained_by=finding.explained_by,
        evidence=[
            Evidence(call_id=c.call_id, tool=c.tool, summary=c.summary, supports=c.supports, weight=c.weight)
            for c in finding.clues
        ],
    )


def _history_keys(evidence: Gathered, ctx: AgentContext) -> list[str]:
    """The strongest shifted series (their past says whether the shift is new), then the leading suspects'
    accumulating resources that moved up at all (memory, disk, pools, queues: a slow burn barely moves
    within the window, and its start may lie hours back) and their traffic rises (a daily peak)."""
    threshold = ctx.params.anomaly_threshold
    shifts = [s for record in evidence.services.values() for s in record.series if s.score >= threshold]
    shifts.sort(key=lambda s: s.score, reverse=True)
    leading = [s for name in evidence.ranked[:2] for s in evidence.services[name].series]
    burning: dict[str, Shift] = {}  # one series per resource: pods that leak alike are one question
    for s in leading:  # a full disk got there somehow, however flat it sits in the window now
        if (
            s.kind in ACCUMULATING
            and s.direction == "up"
            and (s.score >= ctx.params.burn_floor or at_capacity(s, ctx.params))
        ):
            burning.setdefault(s.kind, s)
    busier = [
        s
        for s in leading
        if s.kind == "traffic" and s.direction == "up" and s.score >= threshold * ctx.params.moving_share
    ]
    busier += [s for s in leading if is_limit(s.metric)]  # a limit moves only when someone changes it
    faults = [s for s in shifts if s.kind not in NON_FAULT_KINDS][:RECURRING_LEADERS]  # what a recurring verdict reads
    keys = list(dict.fromkeys(s.key for s in [*faults, *shifts]))[: ctx.params.history_series]
    for extra in (
        list(burning.values()),
        busier,
    ):  # a slow burn's start; a rise in traffic that may be the hour's usual peak
        keys += [k for k in dict.fromkeys(s.key for s in extra) if k not in keys][: ctx.params.history_burning]
    return keys


class RulesReasoner:
    name = "rules"

    def plan(self, state: InvestigationState, ctx: AgentContext) -> dict[str, Any]:
        """Round 0: anomaly ranking and Kubernetes state; round 1: changes, log spikes and the suspects'
        history around the detected onset, plus the matched runbooks' metric checks; then done."""
        incident = state["incident"]
        sources = ctx.sources
        step = state.get("round", 0)
        if step == 0:
            calls = []
            if sources.metrics is not None:
                onset = to_datetime(float(incident["started_at"])).isoformat()
                span = incident.get("onset_within_s")
                if span:  # "since this morning": the change may lie anywhere that far back
                    lookback = max(float(span), SPAN_FLOOR_S)
                    calls.append(_call("rank_anomalies", onset=onset, lookback=f"{int(lookback)}s", onset_unknown=True))
                else:
                    calls.append(_call("rank_anomalies", onset=onset))
            if sources.kubernetes is not None:
                calls += [_call("k8s_pods"), _call("k8s_events"), _call("k8s_nodes")]
            if sources.alerts is not None:
                calls.append(_call("firing_alerts"))
            if calls:
                return {"pending": calls}
            step = 1
        if step == 1:
            onset = to_datetime(detected_onset(state)).isoformat()
            evidence = read_evidence(state.get("calls", []))
            suspects = list(dict.fromkeys(list(incident.get("services", [])) + evidence.ranked[:4]))
            calls = []
            if sources.changes is not None:
                calls.append(_call("correlate_changes", onset=onset, services=suspects))
            if sources.logs is not None:
                calls.append(_call("log_template_spikes", onset=onset))
            if sources.metrics is not None:
                keys = _history_keys(evidence, ctx)
                if keys:
                    calls.append(_call("series_history", onset=onset, series=keys))
                calls += self._runbook_checks(state, ctx, evidence)
            if calls:
                return {"pending": calls}
        return {"investigated": True}

    def _runbook_checks(self, state: InvestigationState, ctx: AgentContext, evidence: Gathered) -> list[dict[str, Any]]:
        """The retrieved runbooks' metric checks, queried for the leading candidate service."""
        leading = next(iter(evidence.ranked), None) or next(iter(state["incident"].get("services", [])), None)
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
        evidence = read_evidence(state.get("calls", []))
        context = Context(
            alerted=list(incident.get("services", [])),
            retrieved=state.get("retrieved") or [h["doc_id"] for h in state.get("runbooks", [])],
            similar=state.get("similar", []),
            alertname=incident.get("alertname"),
            topology=ctx.sources.call_graph(),
        )
        findings = diagnose(evidence, ctx.kb.runbooks() if ctx.kb is not None else [], context, ctx.params)
        hypotheses = [to_hypothesis(f).model_dump() for f in findings]
        blind = blind_spots(evidence)
        if evidence.anomaly_call is None and not _supported_without_metrics(findings):
            why = "; ".join(blind) or "no telemetry answered"
            return {
                "hypotheses": hypotheses,
                "verdict": "inconclusive",
                "notes": [f"inconclusive: could not read {why}"],
            }
        verdict = "no_fault" if findings and findings[0].category == "no_fault" else "diagnosed"
        notes = [
            f"could not read {spot}" for spot in blind if evidence.anomaly_call is not None or "metrics" not in spot
        ]
        return {"hypotheses": hypotheses, "verdict": verdict, "notes": notes}


def _supported_without_metrics(findings: list[Finding]) -> bool:
    """A finding that stands on logs, changes or Kubernetes state even though no metric was read."""
    return (
        bool(findings)
        and findings[0].category != "no_fault"
        and any(c.supports and c.tool != "rank_anomalies" for c in findings[0].clues)
    )
