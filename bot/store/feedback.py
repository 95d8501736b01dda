"""People's verdicts on an investigation (helpful, or wrong and what it was), and the incidents whose answer a
person gave, which tuning learns from."""

from __future__ import annotations

import builtins
import time
from typing import TYPE_CHECKING, Any

from bot.store.audit import AuditRecords

if TYPE_CHECKING:
    from bot.store.incidents import IncidentStore

__all__ = ["FeedbackRecords", "labelled_incidents"]


class FeedbackRecords(AuditRecords):
    def record_feedback(
        self,
        incident_id: str,
        verdict: str,
        service: str | None,
        category: str | None,
        note: str | None,
        by: str | None,
    ) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO feedback (incident_id, verdict, service, category, note, by_user, at) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s)",
                (incident_id, verdict, service, category, note, by, time.time()),
            )
        self.audit(incident_id, f"feedback:{verdict}", None, {"service": service, "category": category}, note or "", by)


def labelled_incidents(store: IncidentStore) -> builtins.list[dict[str, Any]]:
    """Incidents whose investigation report is kept and whose answer a person gave: resolved with a root
    cause (``resolved`` in the audit log), or marked helpful / wrong by feedback. Each carries ``report``,
    ``answer`` ((service, category) or None), ``confirmed`` and ``refuted`` ((service, category) or None)."""
    with store.db.read() as cur:
        feedback = cur.execute(
            "SELECT incident_id, verdict, service, category FROM feedback ORDER BY at, id"
        ).fetchall()
    resolved = {e["incident_id"]: e["args"] or {} for e in store.audit_log() if e["event"] == "resolved"}
    verdicts = {row[0]: row[1:] for row in feedback}  # the latest feedback per incident wins
    out = []
    for incident_id in sorted(set(resolved) | set(verdicts)):
        incident = store.get(incident_id)
        report = (incident or {}).get("report") or {}
        if not report.get("evidence"):
            continue
        named = report.get("root_cause") or {}
        said = (str(named.get("service") or ""), str(named.get("category") or ""))
        answer: tuple[str, str] | None = None
        confirmed, refuted = False, None
        if incident_id in resolved:
            answer = (
                str(resolved[incident_id].get("service") or said[0]),
                str(resolved[incident_id].get("category") or said[1]),
            )
        if incident_id in verdicts:
            verdict, service, category = verdicts[incident_id]
            if verdict == "helpful":
                confirmed, answer = True, answer or said
            else:
                refuted = said
                if service or category:
                    answer = (service or said[0], category or said[1])
        out.append({"id": incident_id, "report": report, "answer": answer, "confirmed": confirmed, "refuted": refuted})
    return out
