"""Write a resolved lab incident back to the knowledge base as a past incident, in the same shape as
``knowledge/incidents/*.md``, so the next investigation retrieves it as a similar incident."""

from __future__ import annotations

import time
from typing import Any

from knowledge.documents import Document
from knowledge.learning import learned_doc_id

__all__ = ["learned_incident"]


def learned_incident(summary: dict[str, Any], report: dict[str, Any]) -> Document:
    """A past-incident document from an experiment's summary and Andon's report."""
    root = summary["root_cause"]
    service, category = str(root["service"]), str(root["category"])
    alert = summary.get("alert") or {}
    action = summary.get("action") or {}
    best = (report.get("hypotheses") or [{}])[0]
    symptoms = [e["summary"] for e in best.get("evidence", []) if e.get("supports", True)][:4]
    fix = f"{action.get('tool')} {action.get('args')}: {action.get('result')}" if action else "none"
    minutes = round((summary.get("fault_to_recovery_s") or 0.0) / 60.0, 1)
    date = time.strftime("%Y-%m-%d", time.gmtime())
    title = f"{service} {category.replace('_', ' ')} (incident lab: {summary['fault']})"
    body = "\n".join(
        [
            "# Summary",
            f"{alert.get('alertname', 'An alert')} fired: {alert.get('summary', '')}. Andon named "
            f"{service} / {category} (confidence {root.get('confidence')}).",
            "",
            "## Timeline",
            f"- detected {summary.get('time_to_detect_s')} s after the fault began",
            f"- root cause posted {summary.get('time_to_rca_s')} s after the page",
            f"- recovered {summary.get('mttr_s')} s after the page (approved by {summary.get('approved_by')})",
            "",
            "## Root cause",
            str(best.get("summary") or root.get("summary") or ""),
            "",
            "## Evidence",
            *[f"- {s}" for s in symptoms],
            "",
            "## Resolution",
            fix,
            f"Verification: {summary.get('verification')}",
        ]
    )
    return Document(
        id=learned_doc_id(str(summary.get("incident_id")) + summary["fault"]),
        kind="incident",
        title=title,
        category=category,
        services=[service],
        alerts=[a for a in [alert.get("alertname")] if a],
        symptoms=symptoms,
        tags=["lab", summary["fault"], "learned"],
        body=body,
        meta={
            "date": date,
            "severity": "SEV3",
            "root_cause": best.get("summary", ""),
            "fix": fix,
            "time_to_resolve_minutes": minutes,
            "source": "andon-lab",
        },
    )
