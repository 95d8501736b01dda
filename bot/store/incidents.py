"""The incident store: incidents, timeline, approvals, executions (claimed once), audit and dedupe."""

from __future__ import annotations

import builtins
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.store.db import Database, IntegrityError

__all__ = ["labelled_incidents", "IncidentStore", "open_store", "ORIGINS"]


def _json(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


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


class IncidentStore:
    def __init__(self, db: Database) -> None:
        self.db = db

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
                (_json(report), time.time(), incident_id),
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

    # ----- dedupe -----
    def forget_keys(self, prefix: str, before: float) -> int:
        """Drop dedupe keys starting with ``prefix`` recorded before ``before`` (those that guard only a
        time window, such as a signed request's five minutes); returns how many went."""
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM dedupe WHERE key LIKE %s AND at < %s", (prefix.replace("%", r"\%") + "%", before))
            return int(cur.rowcount or 0)

    def first_time(self, key: str, incident_id: str | None = None) -> bool:
        """True exactly once per key, across processes (a unique insert)."""
        try:
            with self.db.transaction() as cur:
                cur.execute(
                    "INSERT INTO dedupe (key, at, incident_id) VALUES (%s, %s, %s)", (key, time.time(), incident_id)
                )
            return True
        except IntegrityError:
            return False

    def claim(self, key: str, lease_s: float, incident_id: str | None = None) -> bool:
        """True when this caller now holds ``key``: nobody held it, or the holder stopped renewing it
        ``lease_s`` ago (its process died). Work guarded so is done by one holder at a time, and taken over
        when a holder dies; :meth:`renew` keeps a claim alive."""
        try:
            with self.db.transaction() as cur:
                cur.execute("DELETE FROM dedupe WHERE key = %s AND at < %s", (key, time.time() - lease_s))
                cur.execute(
                    "INSERT INTO dedupe (key, at, incident_id) VALUES (%s, %s, %s)", (key, time.time(), incident_id)
                )
            return True
        except IntegrityError:
            return False

    def renew(self, key: str) -> None:
        with self.db.transaction() as cur:
            cur.execute("UPDATE dedupe SET at = %s WHERE key = %s", (time.time(), key))

    # ----- jobs -----
    def after_commit(self, then: Callable[[], None]) -> None:
        """Run ``then`` once what this thread wrote is committed: at once, or when its group transaction
        commits (``bot.store.group``), never if that write is rolled back."""
        self.db.after_commit(then)

    def add_job(self, job_id: str, kind: str, payload: dict[str, Any]) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO jobs (id, kind, payload, created_at) VALUES (%s, %s, %s, %s)",
                (job_id, kind, _json(payload), time.time()),
            )

    def start_job(self, job_id: str) -> bool:
        """Mark a job started; False when it was already started (or is gone): a job starts once."""
        with self.db.transaction() as cur:
            cur.execute("UPDATE jobs SET started_at = %s WHERE id = %s AND started_at IS NULL", (time.time(), job_id))
            return int(cur.rowcount or 0) == 1

    def finish_job(self, job_id: str) -> None:
        with self.db.transaction() as cur:
            cur.execute("UPDATE jobs SET done_at = %s WHERE id = %s", (time.time(), job_id))

    def forget_jobs(self, before: float) -> int:
        """Drop jobs finished before ``before``; returns how many went."""
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM jobs WHERE done_at IS NOT NULL AND done_at < %s", (before,))
            return int(cur.rowcount or 0)

    def open_jobs(
        self, since: float, limit: int = 100, unstarted: bool = False, kinds: builtins.list[str] | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Jobs accepted since ``since`` and not done (with ``unstarted``, not started either; with ``kinds``,
        of those kinds only), oldest first."""
        if kinds is not None and not kinds:
            return []
        waiting = " AND started_at IS NULL" if unstarted else ""
        of_kinds = f" AND kind IN ({', '.join(['%s'] * len(kinds))})" if kinds else ""
        with self.db.read() as cur:
            rows = cur.execute(
                "SELECT id, kind, payload, created_at, started_at FROM jobs WHERE done_at IS NULL"
                f"{waiting}{of_kinds} AND created_at >= %s ORDER BY created_at LIMIT %s",
                (*(kinds or []), since, limit),
            ).fetchall()
        return [
            {
                "id": r[0],
                "kind": r[1],
                "payload": json.loads(r[2]),
                "created_at": float(r[3]),
                "started": r[4] is not None,
            }
            for r in rows
        ]

    # ----- approvals -----
    def record_decision(self, incident_id: str, proposal_id: str, digest: str, decision: str, by: str) -> bool:
        """Record one person's decision; a second click by the same person is ignored (False)."""
        try:
            with self.db.transaction() as cur:
                cur.execute(
                    "INSERT INTO approvals (incident_id, proposal_id, hash, decision, by_user, at) "
                    "VALUES (%s, %s, %s, %s, %s, %s)",
                    (incident_id, proposal_id, digest, decision, by, time.time()),
                )
        except IntegrityError:
            return False
        self.audit(incident_id, decision, None, {"proposal_id": proposal_id, "hash": digest}, "", by)
        return True

    def decisions(self, incident_id: str) -> builtins.list[dict[str, Any]]:
        with self.db.read() as cur:
            rows = cur.execute(
                "SELECT proposal_id, hash, decision, by_user, at FROM approvals WHERE incident_id = %s ORDER BY at",
                (incident_id,),
            ).fetchall()
        return [{"proposal_id": r[0], "hash": r[1], "decision": r[2], "by": r[3], "at": r[4]} for r in rows]

    # ----- executions -----
    def claim_execution(self, incident_id: str, digest: str, tool: str, args: dict[str, Any], approval: str) -> bool:
        """Claim the right to run one approved action; only the first claimer across processes gets True."""
        try:
            with self.db.transaction() as cur:
                cur.execute(
                    "INSERT INTO executions (incident_id, hash, tool, args, status, approval, started_at) "
                    "VALUES (%s, %s, %s, %s, 'running', %s, %s)",
                    (incident_id, digest, tool, _json(args), approval, time.time()),
                )
        except IntegrityError:
            return False
        self.audit(incident_id, "executing", tool, args, approval)
        return True

    def finish_execution(self, incident_id: str, digest: str, status: str, result: str) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE executions SET status = %s, finished_at = %s, result = %s WHERE incident_id = %s AND hash = %s",
                (status, time.time(), result, incident_id, digest),
            )
            row = cur.execute(
                "SELECT tool, args FROM executions WHERE incident_id = %s AND hash = %s", (incident_id, digest)
            ).fetchone()
        self.audit(incident_id, status, row[0] if row else None, json.loads(row[1]) if row else None, result)

    def executions(self, incident_id: str | None = None) -> builtins.list[dict[str, Any]]:
        sql = "SELECT incident_id, hash, tool, args, status, approval, started_at, finished_at, result FROM executions"
        params: tuple[Any, ...] = ()
        if incident_id:
            sql += " WHERE incident_id = %s"
            params = (incident_id,)
        with self.db.read() as cur:
            rows = cur.execute(sql + " ORDER BY started_at", params).fetchall()
        keys = ["incident_id", "hash", "tool", "args", "status", "approval", "started_at", "finished_at", "result"]
        return [{**dict(zip(keys, r, strict=True)), "args": json.loads(r[3])} for r in rows]

    def count_executions(self, incident_id: str | None = None, since: float | None = None) -> int:
        sql = "SELECT COUNT(*) FROM executions WHERE status != 'interrupted'"
        params: builtins.list[Any] = []
        if incident_id:
            sql += " AND incident_id = %s"
            params.append(incident_id)
        if since:
            sql += " AND started_at >= %s"
            params.append(since)
        with self.db.read() as cur:
            return int(cur.execute(sql, tuple(params)).fetchone()[0])

    def mark_interrupted(self, older_than: float | None = None) -> builtins.list[dict[str, Any]]:
        """Executions left 'running' by a crash: reported as interrupted, never silently re-run.

        With several replicas, pass ``older_than`` (seconds, longer than any actuator's timeout) so a
        restarting replica leaves the actions another replica is running right now alone."""
        cutoff = time.time() - older_than if older_than is not None else None
        where = "status = 'running'" + (" AND started_at <= %s" if cutoff is not None else "")
        params: tuple[Any, ...] = (cutoff,) if cutoff is not None else ()
        with self.db.transaction() as cur:
            rows = cur.execute(f"SELECT incident_id, hash, tool FROM executions WHERE {where}", params).fetchall()
            for incident_id, digest, _tool in rows:
                cur.execute(
                    "UPDATE executions SET status = 'interrupted', finished_at = %s WHERE incident_id = %s "
                    "AND hash = %s AND status = 'running'",
                    (time.time(), incident_id, digest),
                )
        for incident_id, _digest, tool in rows:
            self.audit(incident_id, "interrupted", tool, None, "the process stopped while this action ran; not re-run")
        return [{"incident_id": r[0], "hash": r[1], "tool": r[2]} for r in rows]

    # ----- audit -----
    def audit(
        self, incident_id: str | None, event: str, tool: str | None, args: Any, detail: str, by: str | None = None
    ) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO audit (incident_id, at, event, tool, args, detail, by_user) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s)",
                (incident_id, time.time(), event, tool, _json(args) if args is not None else None, detail, by),
            )

    def audit_log(self, incident_id: str | None = None) -> builtins.list[dict[str, Any]]:
        sql = "SELECT incident_id, at, event, tool, args, detail, by_user FROM audit"
        params: tuple[Any, ...] = ()
        if incident_id:
            sql += " WHERE incident_id = %s"
            params = (incident_id,)
        with self.db.read() as cur:
            rows = cur.execute(sql + " ORDER BY at, id", params).fetchall()
        return [
            {
                "incident_id": r[0],
                "at": r[1],
                "event": r[2],
                "tool": r[3],
                "args": json.loads(r[4]) if r[4] else None,
                "detail": r[5],
                "by": r[6],
            }
            for r in rows
        ]

    # ----- feedback -----
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


def open_store(database_url: str | None, data_dir: Path, synchronous: str = "normal") -> IncidentStore:
    """The store in PostgreSQL at ``database_url``, else in SQLite in ``data_dir`` with ``synchronous``
    durability (``normal`` or ``full``: see :data:`bot.store.db.SYNCHRONOUS`)."""
    return IncidentStore(Database(database_url, data_dir, synchronous=synchronous))
