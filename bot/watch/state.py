"""The watcher's memory, kept in the incident store (SQLite or PostgreSQL) so a restart keeps it: each warning's
cooldown, the shapes people dismissed as "not a problem", silences, where each warning was told in chat (its
thread), and whether the metrics source was last seen blind."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.store.db import Database

__all__ = ["WatchState", "Held", "Dismissal", "WarningThread"]

_BLIND = "blind"
_LAST_SCAN = "last_scan"
_SILENCE = "silence:"
_THREAD = "thread:"


@dataclass
class Held:
    """What the store remembers of one warning or forecast key."""

    key: str
    opened_at: float
    notified_at: float
    seen_at: float
    closed_at: float | None
    detail: dict[str, Any]


@dataclass
class Dismissal:
    service: str
    signal: str
    score: float | None
    """The size (z) of the change dismissed; None when dismissed before any warning (every size)."""
    by: str | None
    at: float


@dataclass
class WarningThread:
    """Where a warning or forecast was told in chat, and what its card says now."""

    key: str
    channel: str
    ts: str
    posted_at: float
    """Wall-clock time the card was posted: the warning's time, for an alert's lead time."""
    opened_at: float
    """The warning's ``opened_at`` when posted: a warning closed and opened again gets a new thread."""
    text: str = ""
    """The description the card shows (a forecast's card is updated when it changes)."""
    outcome: dict[str, Any] = field(default_factory=dict)
    """What people did with it: ``{"action": "investigating"|"silenced"|"dismissed", "by", "at", "until"}``."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "ts": self.ts,
            "posted_at": self.posted_at,
            "opened_at": self.opened_at,
            "text": self.text,
            "outcome": self.outcome,
        }


class WatchState:
    """Cooldowns, dismissals, silences, threads and the blind note, over the store's database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ----- warnings and forecasts, by key -----
    def held(self, key: str) -> Held | None:
        with self.db.transaction() as cur:
            row = cur.execute(
                "SELECT key, opened_at, notified_at, seen_at, closed_at, detail FROM watch_warnings WHERE key = %s",
                (key,),
            ).fetchone()
        if row is None:
            return None
        return Held(
            row[0],
            float(row[1]),
            float(row[2]),
            float(row[3]),
            None if row[4] is None else float(row[4]),
            json.loads(row[5]) if row[5] else {},
        )

    def note_seen(
        self, key: str, service: str, family: str, signal: str, now: float, notified: bool, detail: dict[str, Any]
    ) -> None:
        """Record that ``key`` holds at ``now``; ``notified``: it was told now (its cooldown starts again)."""
        text = json.dumps(detail, default=str, sort_keys=True)
        with self.db.transaction() as cur:
            known = cur.execute(
                "SELECT opened_at, notified_at, closed_at FROM watch_warnings WHERE key = %s", (key,)
            ).fetchone()
            if known is None:
                cur.execute(
                    "INSERT INTO watch_warnings (key, service, family, signal, opened_at, notified_at, seen_at,"
                    " detail) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (key, service, family, signal, now, now, now, text),
                )
                return
            opened_at = now if known[2] is not None else float(known[0])  # closed before: it opens again
            notified_at = now if notified else float(known[1])
            cur.execute(
                "UPDATE watch_warnings SET seen_at = %s, closed_at = NULL, detail = %s, signal = %s, "
                "notified_at = %s, opened_at = %s WHERE key = %s",
                (now, text, signal, notified_at, opened_at, key),
            )

    def close_unseen(self, seen: set[str], now: float) -> None:
        """Close the open keys this scan did not find again (their rows stay, for the cooldown)."""
        with self.db.transaction() as cur:
            rows = cur.execute("SELECT key FROM watch_warnings WHERE closed_at IS NULL").fetchall()
            for (key,) in rows:
                if key not in seen:
                    cur.execute("UPDATE watch_warnings SET closed_at = %s WHERE key = %s", (now, key))

    def open_details(self) -> list[dict[str, Any]]:
        """What each open warning or forecast said when last seen."""
        return [detail for _, detail in self.open_items()]

    def open_items(self) -> list[tuple[str, dict[str, Any]]]:
        """Each open warning or forecast: its key, and what it said when last seen."""
        with self.db.transaction() as cur:
            rows = cur.execute("SELECT key, detail FROM watch_warnings WHERE closed_at IS NULL ORDER BY key").fetchall()
        return [(str(r[0]), json.loads(r[1])) for r in rows if r[1]]

    # ----- "not a problem" -----
    def dismiss(self, service: str, signal: str, by: str | None, now: float) -> None:
        """ "Not a problem": this service's changes of ``signal`` are not warned about again, unless one grows to
        ``WatchParams.dismissed_escalation`` times the size of the open warning dismissed now (with none open,
        no size is warned about again)."""
        score = next(
            (
                float(d["score"])
                for d in self.open_details()
                if d.get("service") == service and d.get("signal") == signal and "score" in d
            ),
            None,
        )
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM watch_dismissals WHERE service = %s AND signal = %s", (service, signal))
            cur.execute(
                "INSERT INTO watch_dismissals (service, signal, score, by_user, at) VALUES (%s, %s, %s, %s, %s)",
                (service, signal, score, by, now),
            )

    def dismissals(self) -> dict[tuple[str, str], Dismissal]:
        with self.db.transaction() as cur:
            rows = cur.execute("SELECT service, signal, score, by_user, at FROM watch_dismissals").fetchall()
        return {
            (r[0], r[1]): Dismissal(r[0], r[1], None if r[2] is None else float(r[2]), r[3], float(r[4])) for r in rows
        }

    # ----- blind -----
    def blind(self) -> str | None:
        """The error the metrics source last failed with, while it has not answered since."""
        with self.db.transaction() as cur:
            row = cur.execute("SELECT value FROM watch_notes WHERE name = %s", (_BLIND,)).fetchone()
        return str(row[0]) if row else None

    def set_blind(self, error: str | None, now: float) -> None:
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM watch_notes WHERE name = %s", (_BLIND,))
            if error is not None:
                cur.execute("INSERT INTO watch_notes (name, value, at) VALUES (%s, %s, %s)", (_BLIND, error, now))

    # ----- the last scan (for ``/andon watch status``, whichever replica asks) -----
    def record_scan(self, summary: dict[str, Any]) -> None:
        """Keep what the latest scan saw (:meth:`ScanReport.summary`), replacing the one before."""
        self._set_note(_LAST_SCAN, json.dumps(summary, default=str, sort_keys=True), float(summary.get("at") or 0.0))

    def last_scan(self) -> dict[str, Any] | None:
        return self._note_json(_LAST_SCAN)

    # ----- silences ("silence 1 h") -----
    def silence(self, key: str, until: float, by: str | None) -> None:
        """Tell nothing of ``key`` before ``until`` (it is still scanned and listed, with ``new`` false)."""
        self._set_note(_SILENCE + key, json.dumps({"until": until, "by": by}), until)

    def silenced_until(self, key: str) -> float | None:
        data = self._note_json(_SILENCE + key)
        try:
            return float(data["until"]) if data else None
        except (KeyError, TypeError, ValueError):
            return None

    # ----- threads -----
    def remember_thread(self, thread: WarningThread) -> None:
        self._set_note(_THREAD + thread.key, json.dumps(thread.to_dict(), default=str), thread.posted_at)

    def thread(self, key: str) -> WarningThread | None:
        return _thread(key, self._note_json(_THREAD + key))

    def threads_of(self, service: str, now: float, grace_s: float) -> list[WarningThread]:
        """The threads of ``service``'s warnings and forecasts still alive at ``now`` — open, or closed at most
        ``grace_s`` ago — oldest first."""
        with self.db.transaction() as cur:
            rows = cur.execute(
                "SELECT key FROM watch_warnings WHERE service = %s AND (closed_at IS NULL OR closed_at >= %s)",
                (service, now - grace_s),
            ).fetchall()
        threads = [self.thread(str(r[0])) for r in rows]
        return sorted((t for t in threads if t is not None), key=lambda t: t.posted_at)

    # ----- notes -----
    def _set_note(self, name: str, value: str, at: float) -> None:
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM watch_notes WHERE name = %s", (name,))
            cur.execute("INSERT INTO watch_notes (name, value, at) VALUES (%s, %s, %s)", (name, value, at))

    def _note_json(self, name: str) -> dict[str, Any] | None:
        with self.db.transaction() as cur:
            row = cur.execute("SELECT value FROM watch_notes WHERE name = %s", (name,)).fetchone()
        try:
            data = json.loads(row[0]) if row else None
        except (TypeError, ValueError):
            return None  # an odd note is no note
        return data if isinstance(data, dict) else None


def _thread(key: str, data: dict[str, Any] | None) -> WarningThread | None:
    if not data or not data.get("channel") or not data.get("ts"):
        return None
    try:
        return WarningThread(
            key=key,
            channel=str(data["channel"]),
            ts=str(data["ts"]),
            posted_at=float(data.get("posted_at") or 0.0),
            opened_at=float(data.get("opened_at") or 0.0),
            text=str(data.get("text") or ""),
            outcome=data["outcome"] if isinstance(data.get("outcome"), dict) else {},
        )
    except (TypeError, ValueError):
        return None
