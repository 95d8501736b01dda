"""A resolved incident as a past-incident document, so the next similar investigation recalls it."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from knowledge.documents import Document

__all__ = ["learned_doc_id", "past_incident"]


def learned_doc_id(text: str) -> str:
    return "inc-learned-" + hashlib.sha256(text.encode()).hexdigest()[:10]


def past_incident(
    incident_id: str,
    title: str,
    category: str,
    root_cause: str,
    fix: str,
    summary: str,
    services: list[str],
    alerts: list[str],
    evidence: list[str],
    tags: list[str],
    path: str,
    meta: dict[str, Any] | None = None,
) -> Document:
    """The knowledge-base document for a resolved incident (whoever resolved it: CLI or Slack)."""
    body = "\n\n".join(
        [
            f"# Summary\n\n{title}. {summary}",
            f"# Root cause\n\n{root_cause}",
            f"# Fix\n\n{fix}",
            "# Evidence\n\n" + ("\n".join(f"- {line}" for line in evidence) or "- (none recorded)"),
        ]
    )
    return Document(
        id=learned_doc_id(incident_id),
        kind="incident",
        title=title,
        category=category,
        services=services,
        alerts=alerts,
        symptoms=[title, *evidence],
        tags=tags,
        body=body,
        path=path,
        meta={
            "root_cause": root_cause,
            "fix": fix,
            "incident_id": incident_id,
            "date": time.strftime("%Y-%m-%d", time.gmtime()),
            **(meta or {}),
        },
    )
