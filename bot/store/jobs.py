"""Durable jobs: work accepted, started once, finished, and found again after a crash."""

from __future__ import annotations

import builtins
import json
import time
from collections.abc import Callable
from typing import Any

from bot.store.records import Records, to_json

__all__ = ["JobRecords"]


class JobRecords(Records):
    def after_commit(self, then: Callable[[], None]) -> None:
        """Run ``then`` once what this thread wrote is committed: at once, or when its group transaction
        commits (``bot.store.group``), never if that write is rolled back."""
        self.db.after_commit(then)

    def add_job(self, job_id: str, kind: str, payload: dict[str, Any]) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO jobs (id, kind, payload, created_at) VALUES (%s, %s, %s, %s)",
                (job_id, kind, to_json(payload), time.time()),
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
