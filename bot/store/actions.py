"""Approvals and executions: each person's decision on a proposal, and each approved action claimed once,
run, and finished (or found interrupted by a crash, never silently re-run). Both write the audit log."""

from __future__ import annotations

import builtins
import json
import time
from typing import Any

from bot.store.audit import AuditRecords
from bot.store.db import IntegrityError
from bot.store.records import to_json

__all__ = ["ActionRecords"]


class ActionRecords(AuditRecords):
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
                    (incident_id, digest, tool, to_json(args), approval, time.time()),
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
