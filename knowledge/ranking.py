"""Structured metadata on top of the fused relevance: the alert a runbook answers, the services it was written
for, its fault category and its kind. Sizes are shares of :data:`knowledge.fusion.BEST_SCORE` (0.136), the
fused score of a document both searches put first."""

from __future__ import annotations

from typing import Any

from knowledge.fusion import BEST_SCORE
from knowledge.query import SearchQuery

__all__ = ["adjust", "ALERT_BOOST", "SERVICE_BOOST", "SERVICE_MISMATCH", "CATEGORY_BOOST", "RUNBOOK_PRIOR", "DOC_PRIOR"]

ALERT_BOOST = 1.0
"""A document that lists the firing alert wins: seven best scores, more than any two documents' relevance differs."""
SERVICE_BOOST = 0.02
"""A document about the incident's service leads one of similar relevance (15% of the best score)."""
SERVICE_MISMATCH = 0.01
"""A runbook written only for other services trails one of similar relevance (7% of the best score)."""
CATEGORY_BOOST = 0.2 * BEST_SCORE
"""A document of a category the diagnosis leads with passes ones up to a fifth more relevant by words alone."""
RUNBOOK_PRIOR = 0.02
"""In a search over every kind, the runbook (what to do) leads a past incident of similar relevance (15%)."""
DOC_PRIOR = -0.02
"""…and a past incident leads a wiki page of similar relevance: pages are context, runbooks and incidents are
Andon's."""


def _listed(meta: dict[str, Any], key: str) -> list[str]:
    return [item for item in str(meta.get(key, "")).split(",") if item]


def adjust(meta: dict[str, Any], query: SearchQuery, mixed: bool) -> tuple[float, list[str]]:
    """What ``meta``'s alert names, services, category and kind add to its fused score, and why."""
    delta, why = 0.0, []
    alerts = {a.lower() for a in _listed(meta, "alerts")}
    words = set(query.text.lower().split())
    if (query.alertname and query.alertname.lower() in alerts) or alerts & words:
        delta += ALERT_BOOST
        why.append("alert name matches")
    services = _listed(meta, "services")
    if query.service and query.service in services:
        delta += SERVICE_BOOST
        why.append("service matches")
    elif query.service and services and "*" not in services and meta.get("kind") == "runbook":
        delta -= SERVICE_MISMATCH
    if query.categories and meta.get("category") in query.categories:
        delta += CATEGORY_BOOST
        why.append("category matches")
    if mixed:
        delta += {"runbook": RUNBOOK_PRIOR, "doc": DOC_PRIOR}.get(str(meta.get("kind", "")), 0.0)
    return delta, why
