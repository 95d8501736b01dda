"""Dedupe keys and claims: a key recorded once across processes (a delivery seen), or held under a lease by
one process at a time (work taken over when its holder dies)."""

from __future__ import annotations

import time

from bot.store.db import IntegrityError
from bot.store.records import Records

__all__ = ["DedupeRecords"]


class DedupeRecords(Records):
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
