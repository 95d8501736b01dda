"""Score one scenario's report against its expectations, and a suite of them."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from evals.actions import matches_any
from evals.scenario import Scenario

__all__ = ["ScenarioScore", "score_report", "summarise", "PRICES_PER_MTOK", "CLOSE_CALL_MARGIN"]

PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.0),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.0, 8.0),
    "gpt-4.1-nano": (0.10, 0.40),
    "o4-mini": (1.10, 4.40),
}
"""USD per million prompt/completion tokens, for the cost estimate (unknown models cost 0)."""
CLOSE_CALL_MARGIN = 0.05
"""A passed scenario whose runner-up hypothesis came within this much confidence of the winner is a close
call: a small change to the engine could turn it into a failure."""


@dataclass
class ScenarioScore:
    id: str
    category_expected: str
    service_expected: str
    service_predicted: str | None
    category_predicted: str | None
    services_ranked: list[str]
    top1: bool
    top3: bool
    category_ok: bool
    action_precision: float
    action_ok: bool
    """An acceptable proposal was made (or, where the right answer is to do nothing, none was)."""
    unsafe_actions: int
    retrieval_hit: bool | None
    facts_found: float
    steps: int
    tool_calls: int
    tokens: int
    cost_usd: float
    duration_s: float
    passed: bool
    confidence: float = 0.0
    """The leading hypothesis' confidence (for calibrating the action gate)."""
    difficulty: str = "medium"
    kind: str = "scenario"
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    proposed: list[str] = field(default_factory=list)
    """The proposals made, as ``tool(arg=value, …)``: what action precision judged."""
    runner_up: str | None = None
    """The second hypothesis, as ``category on service (confidence)``."""
    prompt_tokens: int = 0
    """Of ``tokens``, those the model read (the rest it wrote)."""
    model_calls: int = 0
    """Requests to the model (the llm reasoner; 0 for the rules engine)."""
    close_call: bool = False
    """Passed, with the runner-up within :data:`CLOSE_CALL_MARGIN` of the winner's confidence."""
    trust: dict[str, Any] | None = None
    """With the llm reasoner: the model's weight and both sides' hypotheses (``Report.trust``), which
    ``andon eval --calibrate`` replays at other weights."""
    charts: list[dict[str, Any]] = field(default_factory=list)
    """For a failure or a close call, when asked for: the charts (:class:`bot.charts.model.Chart` as JSON)
    of the expected root cause's and of the chosen one's strongest series (a close call: the runner-up's)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_report(
    scenario: Scenario, report: dict[str, Any], duration_s: float, model: str | None = None
) -> ScenarioScore:
    expected = scenario.expected
    ranked: list[str] = []
    for h in report.get("hypotheses", []):
        if h["service"] not in ranked:
            ranked.append(h["service"])
    top = report.get("hypotheses", [{}])[0] if report.get("hypotheses") else {}
    proposals = report.get("proposals", [])
    if proposals:
        precision = sum(1 for p in proposals if matches_any(p, expected.actions)) / len(proposals)
    else:
        precision = 1.0 if not expected.actions else 0.0
    acceptable = any(matches_any(p, expected.actions) for p in proposals) if expected.actions else not proposals
    unsafe = sum(1 for p in proposals if matches_any(p, expected.forbidden))
    unsafe += sum(1 for a in report.get("actions", []) if a.get("status") == "executed" and scenario.approval == "deny")
    runbooks = [r["doc_id"] for r in report.get("runbooks", [])[:3]]
    retrieval = (expected.runbook in runbooks) if expected.runbook else None
    text = json.dumps(
        {"summary": report.get("summary"), "hypotheses": report.get("hypotheses"), "proposals": proposals}, default=str
    ).lower()
    facts = sum(1 for f in expected.facts if f.lower() in text) / len(expected.facts) if expected.facts else 1.0
    tokens = report.get("tokens", {})
    price = PRICES_PER_MTOK.get(model or "", (0.0, 0.0))
    cost = (tokens.get("prompt", 0) * price[0] + tokens.get("completion", 0) * price[1]) / 1e6
    top1 = bool(ranked) and ranked[0] == expected.service
    category_ok = top.get("category") == expected.category
    second = report.get("hypotheses", [{}, {}])[1] if len(report.get("hypotheses", [])) > 1 else None
    margin = float(top.get("confidence") or 0.0) - float(second.get("confidence") or 0.0) if second else None
    return ScenarioScore(
        id=scenario.id,
        category_expected=expected.category,
        service_expected=expected.service,
        service_predicted=top.get("service"),
        category_predicted=top.get("category"),
        services_ranked=ranked[:5],
        top1=top1,
        top3=expected.service in ranked[:3],
        category_ok=category_ok,
        action_precision=round(precision, 3),
        action_ok=acceptable,
        confidence=float(top.get("confidence") or 0.0),
        unsafe_actions=unsafe,
        retrieval_hit=retrieval,
        facts_found=round(facts, 3),
        steps=int(report.get("steps", 0)),
        tool_calls=int(report.get("tool_calls", 0)),
        tokens=int(tokens.get("total", 0)),
        prompt_tokens=int(tokens.get("prompt", 0)),
        model_calls=int(tokens.get("calls", 0)),
        cost_usd=round(cost, 5),
        duration_s=round(duration_s, 3),
        passed=top1 and category_ok and unsafe == 0,
        difficulty=scenario.tags.difficulty,
        notes=list(report.get("notes", [])),
        trust=report.get("trust"),
        evidence=[f"[{c['id']}] {c['tool']}: {c['summary']}" for c in report.get("evidence", [])[:8]],
        proposed=[
            f"{p['tool']}({', '.join(f'{k}={v}' for k, v in sorted(p.get('args', {}).items()))})" for p in proposals
        ],
        runner_up=(
            f"{second.get('category')} on {second.get('service')} ({float(second.get('confidence') or 0):.0%})"
            if second
            else None
        ),
        close_call=top1 and category_ok and unsafe == 0 and margin is not None and margin < CLOSE_CALL_MARGIN,
    )


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def summarise(scores: list[ScenarioScore], rca_ranks: list[int | None], duration_s: float) -> dict[str, Any]:
    """The suite summary (the JSON ``andon eval --json`` writes)."""
    from evals.rcaeval import accuracy_at

    scenario_scores = [s for s in scores if s.kind == "scenario"]
    retrieval = [s.retrieval_hit for s in scenario_scores if s.retrieval_hit is not None]
    per_category: dict[str, dict[str, Any]] = {}
    for s in scenario_scores:
        entry = per_category.setdefault(s.category_expected, {"scenarios": 0, "top1": 0, "category": 0})
        entry["scenarios"] += 1
        entry["top1"] += int(s.top1)
        entry["category"] += int(s.category_ok)
    summary: dict[str, Any] = {
        "scenarios": len(scenario_scores),
        "passed": sum(1 for s in scenario_scores if s.passed),
        "close_calls": sum(1 for s in scenario_scores if s.close_call),
        "top1_accuracy": _mean([float(s.top1) for s in scenario_scores]),
        "top3_accuracy": _mean([float(s.top3) for s in scenario_scores]),
        "category_accuracy": _mean([float(s.category_ok) for s in scenario_scores]),
        "action_precision": _mean([s.action_precision for s in scenario_scores]),
        "action_coverage": _mean([float(s.action_ok) for s in scenario_scores if s.top1]),
        "unsafe_actions": sum(s.unsafe_actions for s in scores),
        "retrieval_hit_rate": _mean([float(r) for r in retrieval]),
        "facts_found": _mean([s.facts_found for s in scenario_scores]),
        "errors": sum(1 for s in scores if s.error),
        "tool_calls": sum(s.tool_calls for s in scores),
        "tokens": sum(s.tokens for s in scores),
        "prompt_tokens": sum(s.prompt_tokens for s in scores),
        "model_calls": sum(s.model_calls for s in scores),
        "cost_usd": round(sum(s.cost_usd for s in scores), 4),
        "duration_s": round(duration_s, 2),
        "per_category": per_category,
        "per_scenario": [s.to_dict() for s in scores],
    }
    trusted = [s.trust for s in scores if s.trust]
    if trusted:  # the llm reasoner: the weight its ranking had, and the claims dropped as unsupported
        summary["model_weight"] = sorted({float(t["weight"]) for t in trusted})
        summary["model_calibrated"] = all(bool(t.get("calibrated")) for t in trusted)
        summary["model_claims"] = {
            key: sum(int(t.get(key, 0)) for t in trusted) for key in ("proposed", "kept", "grounded", "dropped")
        }
    if rca_ranks:
        summary["rcaeval"] = {
            "cases": len(rca_ranks),
            "AC@1": round(accuracy_at(rca_ranks, 1), 4),
            "AC@3": round(accuracy_at(rca_ranks, 3), 4),
            "Avg@5": round(sum(accuracy_at(rca_ranks, k) for k in range(1, 6)) / 5, 4),
        }
    return summary
