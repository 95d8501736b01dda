"""The report of an investigation, built from its graph state: the report node's result, and the draft the
chat layer shows while the graph waits for approval. Neither a node nor the chat layer owns it."""

from __future__ import annotations

import time
from typing import Any

from bot.agent.state import InvestigationState
from bot.models import Report
from bot.prompts import render
from bot.report_view import distinct_evidence, log_examples, readable, related_incidents
from tools.redaction import redact_data

__all__ = ["report_from_state"]


def _blind_summary(notes: list[str]) -> str:
    """Why no hypothesis could be formed, naming what could not be read (the backend and its error)."""
    unread = [n.removeprefix("inconclusive: ") for n in notes if n.startswith(("inconclusive:", "could not read"))]
    return (
        "Inconclusive: no hypothesis could be formed; "
        + ("; ".join(unread) if unread else "no telemetry answered")
        + "."
    )


def report_from_state(state: InvestigationState) -> dict[str, Any]:
    """The :class:`Report` for ``state`` as JSON; also a draft while the graph waits for approval."""
    hypotheses = state.get("hypotheses", [])
    best = hypotheses[0] if hypotheses else None
    root = (
        {"service": best["service"], "category": best["category"], "confidence": best["confidence"]}
        if best
        else {"service": None, "category": None, "confidence": 0.0}
    )
    notes = list(dict.fromkeys(state.get("notes", [])))
    verdict = state.get("verdict") or ("diagnosed" if best else "inconclusive")
    calls = state.get("calls", [])
    related = related_incidents(state.get("similar", []), root)
    examples = log_examples(calls)
    shown = [
        {**e, "summary": readable(str(e["summary"]), examples).removeprefix("✓ ")}
        for e in distinct_evidence((best or {}).get("evidence", []))
    ]
    summary = (
        render(
            "report",
            incident=state["incident"],
            root=root,
            best={**(best or {"summary": ""}), "evidence": shown},
            others=hypotheses[1:3],
            runbook=next(iter(state.get("runbooks", [])), None),
            similar=next(iter(related), None),
            notes=[readable(n, examples) for n in notes],
            verdict=verdict,
        )
        if best
        else _blind_summary(notes)
    )
    result = Report(
        incident=state["incident"],  # type: ignore[arg-type]
        summary=summary,
        root_cause=root,
        hypotheses=hypotheses,  # type: ignore[arg-type]
        verdict=verdict,  # type: ignore[arg-type]
        proposals=state.get("proposals", []),  # type: ignore[arg-type]
        evidence=calls,  # type: ignore[arg-type]
        runbooks=state.get("runbooks", []),
        similar_incidents=state.get("similar", []),
        related_incidents=related,
        retrieved_runbooks=state.get("retrieved", []),
        actions=state.get("actions", []),
        verification=state.get("verification"),
        reasoner=state.get("reasoner", "rules"),
        notes=notes,
        trust=state.get("trust") if state.get("reasoner") == "llm" else None,
        tokens=state.get("tokens", {}),
        tool_calls=len(calls),
        steps=state.get("round", 0),
        duration_s=round(time.time() - float(state.get("started", time.time())), 3),
    )
    out = result.model_dump(mode="json")
    # tool results were redacted when they were made; everything else in the report is redacted here
    evidence = out.pop("evidence")
    out = redact_data(out)
    out["evidence"] = evidence
    return dict(out)
