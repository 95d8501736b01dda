"""verify: did the symptoms clear after the actions? report: the RCA summary."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from bot.agent.context import AgentContext
from bot.agent.state import InvestigationState
from bot.models import Report
from bot.prompts import render
from bot.reasoners.rules.evidence import build_view
from tools.redaction import redact_data

__all__ = ["verify", "report", "report_from_state", "symptom_recovered"]


def symptom_recovered(ctx: AgentContext, state: InvestigationState) -> tuple[bool | None, str]:
    """Compare the root service's most anomalous series now with its pre-onset level."""
    hypotheses = state.get("hypotheses", [])
    metrics = ctx.sources.metrics
    if not hypotheses or metrics is None:
        return None, "no metrics to verify against"
    service = hypotheses[0]["service"]
    series = build_view(state.get("calls", [])).series(service)
    if not series:
        return None, f"no anomalous series recorded for {service}"
    top = series[0]
    now = ctx.clock()
    current = metrics.query_range(f'{top["metric"]}{{service="{service}"}}', now - 30, now, 5)
    values = [float(v) for s in current for v in s.values[-3:]]
    if not values:
        return None, f"{top['metric']} of {service} returned no data"
    level = sum(values) / len(values)
    before, peak = float(top["before"]), float(top["after"])
    distance = abs(level - before)
    ok = distance <= 0.3 * abs(peak - before) + 1e-9
    return ok, f"{top['metric']} of {service}: before {before:.4g}, peak {peak:.4g}, now {level:.4g}"


def verify(state: InvestigationState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    executed = [a for a in state.get("actions", []) if a.get("status") == "executed"]
    if not executed:
        return {"verification": {"checked": False, "recovered": None, "detail": "no action was executed"}}
    ctx.announce("verifying")
    healed = getattr(ctx.sources.actuator, "healed", None)
    if isinstance(healed, bool) and ctx.sources.metrics is not None and hasattr(ctx.sources.metrics, "log_lines"):
        return {"verification": {"checked": True, "recovered": healed,
                                 "detail": "replayed system " + ("recovered" if healed else "did not recover")}}
    deadline = time.time() + ctx.verify_wait_s
    while True:
        recovered, detail = symptom_recovered(ctx, state)
        if recovered or time.time() >= deadline:
            return {"verification": {"checked": True, "recovered": recovered, "detail": detail,
                                     "at": time.time()}}
        time.sleep(min(3.0, max(deadline - time.time(), 0.1)))


def report_from_state(state: InvestigationState) -> dict[str, Any]:
    """The :class:`Report` for ``state`` as JSON; also a draft while the graph waits for approval."""
    hypotheses = state.get("hypotheses", [])
    best = hypotheses[0] if hypotheses else None
    root = {"service": best["service"], "category": best["category"], "confidence": best["confidence"]} if best else {
        "service": None, "category": None, "confidence": 0.0}
    notes = list(dict.fromkeys(state.get("notes", [])))
    summary = render("report", incident=state["incident"], root=root, best=best or {"summary": "", "evidence": []},
                     others=hypotheses[1:3], runbook=next(iter(state.get("runbooks", [])), None),
                     similar=next(iter(state.get("similar", [])), None), notes=notes) if best else (
        "No hypothesis could be formed: no telemetry answered.")
    calls = state.get("calls", [])
    result = Report(incident=state["incident"], summary=summary, root_cause=root, hypotheses=hypotheses,  # type: ignore[arg-type]
                    proposals=state.get("proposals", []), evidence=calls,  # type: ignore[arg-type]
                    runbooks=state.get("runbooks", []), similar_incidents=state.get("similar", []),
                    actions=state.get("actions", []), verification=state.get("verification"),
                    reasoner=state.get("reasoner", "rules"), notes=notes, tokens=state.get("tokens", {}),
                    tool_calls=len(calls), steps=state.get("round", 0),
                    duration_s=round(time.time() - float(state.get("started", time.time())), 3))
    out = result.model_dump(mode="json")
    # tool results were redacted when they were made; everything else in the report is redacted here
    evidence = out.pop("evidence")
    out = redact_data(out)
    out["evidence"] = evidence
    return dict(out)


def report(state: InvestigationState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    result = report_from_state(state)
    runtime.context.announce("report")
    return {"report": result}
