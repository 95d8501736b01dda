"""The incident store: incidents, their timeline and chat messages; with the parts it combines, dedupe keys
and claims (``dedupe``), jobs (``jobs``), approvals and executions claimed once (``actions``), the audit log
(``audit``) and feedback (``feedback``)."""

from __future__ import annotations

import builtins
import json
import time
from pathlib import Path
from typing import Any

from bot.store.actions import ActionRecords
from bot.store.db import Database
from bot.store.dedupe import DedupeRecords
from bot.store.feedback import FeedbackRecords, labelled_incidents
from bot.store.jobs import JobRecords
from bot.store.records import to_json

__all__ = ["labelled_incidents", "IncidentStore", "open_store", "ORIGINS"]

_INCIDENT_COLUMNS = [
    "id",
    "title",
    "status",
    "severity",
    "services",
    "channel",
    "thread_ts",
    "group_key",
    "created_at",
    "report",
    "root_cause",
    "fix",
    "origin",
    "warned_at",
    "lead_s",
]
_SELECT_INCIDENTS = f"SELECT {', '.join(_INCIDENT_COLUMNS)} FROM incidents"
ORIGINS = {
    "cli": "investigated from the terminal (andon investigate) on live telemetry",
    "replay": "investigated from the terminal on replayed telemetry (a fixture): not a live incident",
}
"""Where an incident came from when not from Slack or an alert (those have no origin)."""


class IncidentStore(DedupeRecords, JobRecords, ActionRecords, FeedbackRecords):
    """Andon's durable state over one :class:`~bot.store.db.Database`: incidents, timeline and messages here,
    the rest from the parts it combines."""

    # ----- incidents -----
    def upsert_incident(
        self,
        incident: dict[str, Any],
        channel: str | None = None,
        thread_ts: str | None = None,
        origin: str | None = None,
    ) -> None:
        """Insert the incident, or touch it (and set its thread) if known. ``origin``: one of :data:`ORIGINS`
        for an incident that did not come from Slack or an alert; alerts never attach to those."""
        if origin is not None and origin not in ORIGINS:
            raise ValueError(f"unknown incident origin {origin!r}; use one of {', '.join(ORIGINS)}")
        now = time.time()
        with self.db.transaction() as cur:
            row = cur.execute("SELECT id FROM incidents WHERE id = %s", (incident["id"],)).fetchone()
            if row:
                cur.execute(
                    "UPDATE incidents SET updated_at = %s, channel = COALESCE(%s, channel), "
                    "thread_ts = COALESCE(%s, thread_ts) WHERE id = %s",
                    (now, channel, thread_ts, incident["id"]),
                )
            else:
                cur.execute(
                    "INSERT INTO incidents (id, title, status, severity, services, channel, thread_ts, group_key,"
                    " created_at, updated_at, origin) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        incident["id"],
                        incident["title"],
                        "investigating",
                        incident.get("severity"),
                        ",".join(incident.get("services", [])),
                        channel,
                        thread_ts,
                        incident.get("group_key"),
                        now,
                        now,
                        origin,
                    ),
                )

    def set_status(self, incident_id: str, status: str, root_cause: str | None = None, fix: str | None = None) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE incidents SET status = %s, updated_at = %s, root_cause = COALESCE(%s, root_cause), "
                "fix = COALESCE(%s, fix) WHERE id = %s",
                (status, time.time(), root_cause, fix, incident_id),
            )

    def record_lead(self, incident_id: str, warned_at: float, lead_s: float, group_key: str | None = None) -> None:
        """An alert joined the thread of an early warning posted at ``warned_at``, ``lead_s`` seconds before
        its page: the incident now starts at the warning (MTTR counts from it) and keeps the lead. The first
        alert's lead stays; ``group_key`` (the alert's) lets the group's repeats find the incident."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE incidents SET created_at = CASE WHEN created_at > %s THEN %s ELSE created_at END, "
                "warned_at = COALESCE(warned_at, %s), lead_s = COALESCE(lead_s, %s), "
                "group_key = COALESCE(%s, group_key), updated_at = %s WHERE id = %s",
                (warned_at, warned_at, warned_at, lead_s, group_key, time.time(), incident_id),
            )

    def save_report(self, incident_id: str, report: dict[str, Any]) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE incidents SET report = %s, updated_at = %s WHERE id = %s",
                (to_json(report), time.time(), incident_id),
            )

    def get(self, incident_id: str) -> dict[str, Any] | None:
        with self.db.read() as cur:
            row = cur.execute(_SELECT_INCIDENTS + " WHERE id = %s", (incident_id,)).fetchone()
        return self._row(row) if row else None

    def find_open_by_group(self, group_key: str) -> dict[str, Any] | None:
        with self.db.read() as cur:
            row = cur.execute(
                _SELECT_INCIDENTS + " WHERE group_key = %s AND status != 'resolved' AND origin IS NULL"
                " ORDER BY created_at DESC",
                (group_key,),
            ).fetchone()
        return self._row(row) if row else None

    def find_by_thread(self, channel: str, thread_ts: str) -> dict[str, Any] | None:
        with self.db.read() as cur:
            row = cur.execute(
                _SELECT_INCIDENTS + " WHERE channel = %s AND thread_ts = %s", (channel, thread_ts)
            ).fetchone()
        return self._row(row) if row else None

    def list(
        self, status: str | None = None, limit: int = 50, channel: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        """The latest incidents, newest first: ``open`` (not resolved) or of one ``status``, and with
        ``channel``, of that channel only."""
        where: builtins.list[str] = []
        params: builtins.list[Any] = []
        if status == "open":
            where.append("status != 'resolved'")
        elif status:
            where.append("status = %s")
            params.append(status)
        if channel is not None:
            where.append("channel = %s")
            params.append(channel)
        sql = _SELECT_INCIDENTS + (" WHERE " + " AND ".join(where) if where else "")
        with self.db.read() as cur:
            rows = cur.execute(sql + f" ORDER BY created_at DESC LIMIT {int(limit)}", tuple(params)).fetchall()
        return [self._row(r) for r in rows]

    @staticmethod
    def _row(row: Any) -> dict[str, Any]:
        out = dict(zip(_INCIDENT_COLUMNS, row, strict=True))
        out["services"] = [s for s in (out["services"] or "").split(",") if s]
        out["report"] = json.loads(out["report"]) if out["report"] else None
        return out

    # ----- timeline -----
    def note(self, incident_id: str, kind: str, text: str, by: str | None = None) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO timeline (incident_id, at, kind, text, by_user) VALUES (%s, %s, %s, %s, %s)",
                (incident_id, time.time(), kind, text, by),
            )

    def timeline(self, incident_id: str) -> builtins.list[dict[str, Any]]:
        with self.db.read() as cur:
            rows = cur.execute(
                "SELECT at, kind, text, by_user FROM timeline WHERE incident_id = %s ORDER BY at, id", (incident_id,)
            ).fetchall()
        return [{"at": r[0], "kind": r[1], "text": r[2], "by": r[3]} for r in rows]

    # ----- chat messages -----
    def remember_message(self, incident_id: str, key: str, channel: str, ts: str) -> None:
        """Where an incident's message lives (an approval card, the progress message), to update it later."""
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO messages (incident_id, key, channel, ts) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (incident_id, key) DO UPDATE SET channel = excluded.channel, ts = excluded.ts",
                (incident_id, key, channel, ts),
            )

    def message(self, incident_id: str, key: str) -> tuple[str, str] | None:
        """The (channel, ts) remembered for ``key``, if any."""
        with self.db.read() as cur:
            row = cur.execute(
                "SELECT channel, ts FROM messages WHERE incident_id = %s AND key = %s", (incident_id, key)
            ).fetchone()
        return (str(row[0]), str(row[1])) if row else None


def open_store(database_url: str | None, data_dir: Path, synchronous: str = "normal") -> IncidentStore:
    """The store in PostgreSQL at ``database_url``, else in SQLite in ``data_dir`` with ``synchronous``
    durability (``normal`` or ``full``: see :data:`bot.store.db.SYNCHRONOUS`)."""
    return IncidentStore(Database(database_url, data_dir, synchronous=synchronous))
