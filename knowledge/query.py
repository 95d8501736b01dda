"""What a search is asked: the words, and the structured facts an incident carries (alert name, services,
the categories the diagnosis leads with). :func:`incident_query` builds it from an incident."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["SearchQuery", "incident_query", "LEADING_HYPOTHESES", "MAX_SIGNALS"]

LEADING_HYPOTHESES = 3
"""Hypotheses whose categories join the query: the ones the report shows, and the diagnosis's retrieval depth."""
MAX_SIGNALS = 5
"""Signal names added to the words, strongest first: more would outweigh the incident's own words."""


@dataclass(frozen=True)
class SearchQuery:
    text: str
    """The words searched, by meaning and by keyword."""
    alertname: str | None = None
    """The firing alert's name: a runbook that lists it wins."""
    services: tuple[str, ...] = ()
    """The services in question, the first most (the leading suspect's, else the alerted one): documents
    about the first lead."""
    categories: tuple[str, ...] = ()
    """Fault categories the diagnosis leads with: documents of these categories lead."""

    @property
    def service(self) -> str | None:
        return self.services[0] if self.services else None


def incident_query(
    incident: Mapping[str, Any], hypotheses: Sequence[Mapping[str, Any]] = (), signals: Iterable[str] = ()
) -> SearchQuery:
    """The search for an incident: its title, text, alert name and services; once diagnosed, the leading
    hypotheses' services (the leading one first: documents about the suspected cause's service lead) and
    categories, and the names of the signals that moved (``db_pool_in_use_ratio``), which are the words
    runbooks use for their checks."""
    alertname = str(incident.get("alertname") or "") or None
    leading = hypotheses[:LEADING_HYPOTHESES]
    suspects = [str(h["service"]) for h in leading if h.get("service")]
    services = tuple(dict.fromkeys([*suspects, *(str(s) for s in incident.get("services") or [] if s)]))
    categories = tuple(dict.fromkeys(str(h["category"]) for h in leading if h.get("category")))
    title, text = str(incident.get("title") or ""), str(incident.get("text") or "")
    words = [
        title,
        text,
        alertname if alertname and alertname not in f"{title} {text}" else "",
        " ".join(services),
        " ".join(c.replace("_", " ") for c in categories),
        " ".join(list(dict.fromkeys(signals))[:MAX_SIGNALS]),
    ]
    return SearchQuery(
        text=" ".join(w for w in words if w).strip(), alertname=alertname, services=services, categories=categories
    )
