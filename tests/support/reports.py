"""Reports for the cards' tests: a small incident, and a report far past every Slack limit."""

from __future__ import annotations

from typing import Any

__all__ = ["INCIDENT", "huge_report"]

INCIDENT = {
    "id": "inc-0123456789",
    "title": "checkout 5xx",
    "services": ["checkout"],
    "severity": "critical",
    "started_at": 0.0,
    "labels": {},
    "alertname": None,
    "source": "slack",
    "status": "firing",
    "text": "",
}


def huge_report() -> dict[str, Any]:
    evidence = [
        {"id": f"c{i}", "tool": "log_template_spikes", "status": "ok", "summary": "ERROR " + "x" * 5000}
        for i in range(400)
    ]
    hypotheses = [
        {
            "service": f"svc{i}",
            "category": "bad_deploy",
            "confidence": 0.9 - i / 100,
            "summary": "s" * 4000,
            "evidence": [
                {"call_id": f"c{j}", "tool": "t", "summary": "e" * 4000, "supports": j % 2 == 0} for j in range(30)
            ],
        }
        for i in range(40)
    ]
    proposals = [
        {"id": f"p-{i}", "tool": "rollback_deploy", "args": {"service": f"svc{i}"}, "risk": "write", "hash": f"h{i}"}
        for i in range(60)
    ]
    return {
        "incident": INCIDENT,
        "summary": "*Most likely root cause:* " + "y" * 10_000,
        "root_cause": {},
        "hypotheses": hypotheses,
        "proposals": proposals,
        "evidence": evidence,
        "runbooks": [{"doc_id": f"rb-{i}", "title": "t" * 500, "path": ""} for i in range(20)],
        "related_incidents": [
            {"doc_id": "inc-x", "title": "old", "path": "https://wiki.example.com/pm", "matched": "same service"}
        ],
        "notes": ["n" * 3000] * 30,
        "tokens": {"total": 5},
        "tool_calls": 400,
        "duration_s": 3.2,
    }
