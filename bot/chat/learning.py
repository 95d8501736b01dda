"""Closing the loop: a resolved incident becomes a past incident in the knowledge base (so the next
investigation recalls it), and the timeline becomes a postmortem draft (``prompts/postmortem.j2``)."""

from __future__ import annotations

import time
from typing import Any

from bot.prompts import render
from knowledge.documents import Document
from knowledge.learning import past_incident
from knowledge.taxonomy import categories

__all__ = ["learned_incident", "draft_postmortem", "root_cause_text", "LearningError"]


class LearningError(ValueError):
    """The incident cannot be learned as it stands; the message says what to add."""


def root_cause_text(report: dict[str, Any] | None) -> str | None:
    root = (report or {}).get("root_cause") or {}
    if not root.get("service"):
        return None
    return f"{str(root.get('category')).replace('_', ' ')} on {root['service']}"


def learned_incident(
    incident: dict[str, Any], summary: str, link: str, category: str | None = None, by: str | None = None
) -> Document:
    """The knowledge-base document for a resolved incident. ``category`` overrides the report's."""
    report = incident.get("report") or {}
    root = report.get("root_cause") or {}
    chosen = category or root.get("category")
    if not chosen or chosen not in categories():
        raise LearningError(
            "name the fault category: `/andon resolve category=<one of "
            f"{', '.join(list(categories())[:6])}, …> <what fixed it>`"
        )
    best: dict[str, Any] = next(iter(report.get("hypotheses") or []), {})
    evidence = [str(e["summary"]) for e in best.get("evidence", []) if e.get("supports")][:4]
    alerts = [report["incident"]["alertname"]] if (report.get("incident") or {}).get("alertname") else []
    services = list(incident.get("services") or []) or ([root["service"]] if root.get("service") else ["*"])
    root_text = root_cause_text(report) or chosen.replace("_", " ")
    return past_incident(
        incident["id"],
        incident["title"],
        chosen,
        root_text,
        summary,
        summary=summary,
        services=services,
        alerts=alerts,
        evidence=evidence,
        tags=["learned", "slack"],
        path=link,
        meta={"resolved_by": by or ""},
    )


def _utc(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))


def draft_postmortem(incident: dict[str, Any], timeline: list[dict[str, Any]], now: float | None = None) -> str:
    """A Markdown postmortem draft: summary, impact, timeline, root cause, actions, follow-ups."""
    now = time.time() if now is None else now
    report = incident.get("report") or {}
    resolved = next((e["at"] for e in reversed(timeline) if e["kind"] == "resolved"), None)
    duration = None
    if resolved is not None:
        minutes = max(int((resolved - float(incident["created_at"])) // 60), 0)
        duration = f"{minutes // 60}h {minutes % 60}m"
    return render(
        "postmortem",
        incident=incident,
        report=report,
        root=report.get("root_cause"),
        best=next(iter(report.get("hypotheses") or []), None),
        actions=report.get("actions") or [],
        verification=report.get("verification"),
        runbook=next(iter(report.get("runbooks") or []), None),
        timeline=[{**e, "time": _utc(float(e["at"]))} for e in timeline],
        drafted=_utc(now),
        opened=_utc(float(incident["created_at"])),
        resolved=_utc(resolved) if resolved else None,
        duration=duration,
    )
