""" "Not a problem" as something Andon learns. A dismissal is kept twice: in the watch's own memory (the store's
``watch_dismissals``: that shape on that service is not flagged again, across restarts — see
:meth:`WatchState.dismiss`), and in the knowledge base as a learned past incident of category ``no_fault``
(:func:`knowledge.learning.past_incident`, as a resolved incident is learned), so an investigation of a later
alert on that service recalls that people called the same change harmless.

One document per service and signal: dismissing it again replaces it (the latest size and words win)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from knowledge.documents import Document
from knowledge.learning import learned_doc_id, past_incident

__all__ = ["WATCH_ALERT", "dismissal_document", "learn_dismissal", "dismissal_doc_id"]

log = logging.getLogger(__name__)
WATCH_ALERT = "AndonEarlyWarning"
"""The alert name a warning goes by (an "Investigate now" incident's alertname)."""


def dismissal_doc_id(service: str, signal: str) -> str:
    return learned_doc_id(f"watch:{service}:{signal}")


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def dismissal_document(service: str, signal: str, detail: dict[str, Any], by: str | None, at: float) -> Document:
    """The learned document of one dismissal; ``detail`` is the dismissed warning's or forecast's stored detail
    (empty when dismissed before any warning: every size of that signal)."""
    stamp = dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    said = str(detail.get("text") or f"{signal} of {service} changed")
    forecast = "seconds_to_full" in detail
    what = "exhaustion forecast" if forecast else "early warning"
    before, after, score = _number(detail.get("before")), _number(detail.get("after")), _number(detail.get("score"))
    shape = []
    if before is not None and after is not None:
        shape.append(f"{signal} went {'up' if after >= before else 'down'} from {before:.4g} to {after:.4g}")
    if score is not None:
        shape.append(f"a change of z={score:.1f}; a change three times that size is warned about again")
    if not detail:
        shape.append("dismissed before any warning: no change of this signal is warned about")
    title = f"{service} {signal}: {what} called not a problem"
    summary = (
        f"The watch warned \u201c{said}\u201d before any alert; {by or 'someone'} called it not a problem on "
        f"{stamp}. The same change on {service} is a known, harmless shape."
    )
    return past_incident(
        f"watch:{service}:{signal}",
        title,
        "no_fault",
        f"no fault: a known {signal} shape on {service}",
        "none needed (called not a problem)",
        summary=summary,
        services=[service],
        alerts=[WATCH_ALERT],
        evidence=[said, *shape],
        tags=["learned", "watch", "not-a-problem", signal],
        path=f"andon:watch/{service}/{signal}",
        meta={
            "dismissed_by": by or "",
            "watch_service": service,
            "watch_signal": signal,
            "watch_kind": what,
            "watch_score": score if score is not None else "",
        },
    )


def learn_dismissal(
    kb: Any, service: str, signal: str, detail: dict[str, Any], by: str | None, at: float
) -> str | None:
    """Add the dismissal to the knowledge base; its document id, or None when there is no knowledge base or it
    refused (logged: the dismissal itself is already kept by the watch)."""
    if kb is None:
        return None
    try:
        document = dismissal_document(service, signal, detail, by, at)
        kb.add_document(document)
    except Exception:  # noqa: BLE001 — learning is a bonus on top of the dismissal, never its failure
        log.warning("could not learn the dismissal of %s %s", service, signal, exc_info=True)
        return None
    return document.id
