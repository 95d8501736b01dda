"""The audit log: every decision, execution and judgement, with who and when."""

from __future__ import annotations

import builtins
import json
import time
from typing import Any

from bot.store.records import Records, to_json

__all__ = ["AuditRecords"]


class AuditRecords(Records):
    def audit(
        self, incident_id: str | None, event: str, tool: str | None, args: Any, detail: str, by: str | None = None
    ) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO audit (incident_id, at, event, tool, args, detail, by_user) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s)",
                (incident_id, time.time(), event, tool, to_json(args) if args is not None else None, detail, by),
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
