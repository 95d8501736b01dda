"""A thin database handle over sqlite3 or psycopg with one placeholder style (``%s``) and versioned migrations."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["Database", "MIGRATIONS", "IntegrityError", "use_wal", "sqlite_path", "SYNCHRONOUS"]


class IntegrityError(Exception):
    """A unique constraint refused a write (a duplicate delivery, a second execution claim)."""


_SQLITE_BUSY_S = 30.0
_LOCKED_RETRY_S = (0.0005, 0.005)
"""How long a writer waits before asking again for SQLite's write lock held by another process: first,
and at most (doubling in between). SQLite's own busy handler sleeps 1, 2, 5, 10… up to 100 ms, so an
acknowledgement's write would sleep far longer than the few microseconds another process's write holds it."""

SYNCHRONOUS = ("NORMAL", "FULL")
"""SQLite's durability, ``PRAGMA synchronous`` under WAL. NORMAL (the default): a commit is in the
write-ahead log, in the operating system's hands, when it returns — it survives the process being killed
(SIGKILL, a crash), but a power loss or an operating-system crash can undo the last commits before the next
checkpoint (the database stays consistent). FULL: each commit also waits for the disk (an fsync), so it
survives a power loss too."""

MIGRATIONS: list[str] = [
    # 1: the initial schema
    """
    CREATE TABLE incidents (
        id TEXT PRIMARY KEY, title TEXT NOT NULL, status TEXT NOT NULL, severity TEXT,
        services TEXT, channel TEXT, thread_ts TEXT, group_key TEXT,
        created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL,
        report TEXT, root_cause TEXT, fix TEXT, owner TEXT
    );
    CREATE INDEX incidents_group ON incidents (group_key, status);
    CREATE TABLE timeline (
        id INTEGER PRIMARY KEY, incident_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
        kind TEXT NOT NULL, text TEXT NOT NULL, by_user TEXT
    );
    CREATE TABLE approvals (
        incident_id TEXT NOT NULL, proposal_id TEXT NOT NULL, hash TEXT NOT NULL, decision TEXT NOT NULL,
        by_user TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, UNIQUE (proposal_id, by_user)
    );
    CREATE TABLE executions (
        incident_id TEXT NOT NULL, hash TEXT NOT NULL, tool TEXT NOT NULL, args TEXT NOT NULL,
        status TEXT NOT NULL, approval TEXT, started_at DOUBLE PRECISION NOT NULL,
        finished_at DOUBLE PRECISION, result TEXT, UNIQUE (incident_id, hash)
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY, incident_id TEXT, at DOUBLE PRECISION NOT NULL, event TEXT NOT NULL,
        tool TEXT, args TEXT, detail TEXT, by_user TEXT
    );
    CREATE TABLE dedupe (key TEXT PRIMARY KEY, at DOUBLE PRECISION NOT NULL, incident_id TEXT);
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY, incident_id TEXT NOT NULL, verdict TEXT NOT NULL, service TEXT,
        category TEXT, note TEXT, by_user TEXT, at DOUBLE PRECISION NOT NULL
    );
    """,
    # 2: chat messages that belong to an incident (approval cards, progress), so any replica can update them
    """
    CREATE TABLE messages (
        incident_id TEXT NOT NULL, key TEXT NOT NULL, channel TEXT NOT NULL, ts TEXT NOT NULL,
        PRIMARY KEY (incident_id, key)
    );
    """,
    # 3: a decision is unique per incident, proposal and person (proposal ids repeat across incidents:
    # the same rollback proposed next week must be decidable again)
    """
    CREATE TABLE approvals_v3 (
        incident_id TEXT NOT NULL, proposal_id TEXT NOT NULL, hash TEXT NOT NULL, decision TEXT NOT NULL,
        by_user TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, UNIQUE (incident_id, proposal_id, by_user)
    );
    INSERT INTO approvals_v3 (incident_id, proposal_id, hash, decision, by_user, at)
        SELECT incident_id, proposal_id, hash, decision, by_user, at FROM approvals;
    DROP TABLE approvals;
    ALTER TABLE approvals_v3 RENAME TO approvals;
    """,
    # 4: where an incident came from when not from Slack or an alert: 'cli' (``andon investigate`` on live
    # telemetry) or 'replay' (on a telemetry fixture) — kept apart from live incidents an alert can join
    """
    ALTER TABLE incidents ADD COLUMN origin TEXT;
    """,
    # 5: work a slash command accepted, written before Slack is answered, marked started and done, so a
    # restart runs what a crash kept from starting and reports what it cut off midway
    """
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
        started_at DOUBLE PRECISION, done_at DOUBLE PRECISION
    );
    """,
    # 6: the proactive watch (bot.watch): warnings it raised (one row per service and signal family, for
    # their cooldown), shapes people dismissed as "not a problem", and notes such as being blind
    """
    CREATE TABLE watch_warnings (
        key TEXT PRIMARY KEY, service TEXT NOT NULL, family TEXT NOT NULL, signal TEXT NOT NULL,
        opened_at DOUBLE PRECISION NOT NULL, notified_at DOUBLE PRECISION NOT NULL,
        seen_at DOUBLE PRECISION NOT NULL, closed_at DOUBLE PRECISION, detail TEXT
    );
    CREATE TABLE watch_dismissals (
        service TEXT NOT NULL, signal TEXT NOT NULL, score DOUBLE PRECISION, by_user TEXT,
        at DOUBLE PRECISION NOT NULL, PRIMARY KEY (service, signal)
    );
    CREATE TABLE watch_notes (name TEXT PRIMARY KEY, value TEXT NOT NULL, at DOUBLE PRECISION NOT NULL);
    """,
    # 7: an incident the watch saw coming: when its early warning was posted (created_at moves back to it, so
    # MTTR starts at the warning) and how long before the alert's page (the lead time)
    """
    ALTER TABLE incidents ADD COLUMN warned_at DOUBLE PRECISION;
    ALTER TABLE incidents ADD COLUMN lead_s DOUBLE PRECISION;
    """,
]


def sqlite_path(data_dir: Path) -> Path:
    """The SQLite file of the store kept in ``data_dir`` (when no PostgreSQL URL is set)."""
    return Path(data_dir) / "andon.sqlite"


class Database:
    """One connection per thread for SQLite; a connection pool for PostgreSQL."""

    def __init__(self, url: str | None, data_dir: Path, synchronous: str = "NORMAL") -> None:
        """``synchronous``: SQLite's ``PRAGMA synchronous`` for the store's connections (see :data:`SYNCHRONOUS`)."""
        self.url = url
        if synchronous.upper() not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)} (got {synchronous!r})")
        self.synchronous = synchronous.upper()
        self.postgres = bool(url and url.startswith(("postgres://", "postgresql://")))
        self._local = threading.local()
        self._writing = threading.Lock()
        """SQLite takes one writer at a time; threads of this process queue here and are woken at once,
        instead of in SQLite's busy handler, which sleeps in steps of up to 100 ms (an acknowledgement
        would wait behind an investigation's write for that long)."""
        self._pool: Any = None
        if self.postgres:
            from psycopg_pool import ConnectionPool

            self._pool = ConnectionPool(str(url), min_size=1, max_size=8, open=True, kwargs={"autocommit": False})
        else:
            data_dir.mkdir(parents=True, exist_ok=True)
            self.path = sqlite_path(data_dir)
        self.migrate()

    def _sqlite(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=_SQLITE_BUSY_S, isolation_level=None, check_same_thread=False)
            use_wal(conn)
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            self._local.conn = conn
        return conn

    @contextmanager
    def read(self) -> Iterator[Any]:
        """A cursor for reading only, on one snapshot. Under SQLite's WAL a reader neither waits for the
        writer nor holds it up, so reads skip the writers' queue (:meth:`transaction`)."""
        if self.postgres:
            with self.transaction() as cur:
                yield cur
            return
        conn = self._sqlite()
        conn.execute("BEGIN")
        try:
            yield _Cursor(conn.cursor(), postgres=False)
        finally:
            conn.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor inside one transaction; unique-constraint failures surface as :class:`IntegrityError`."""
        if self.postgres:
            import psycopg

            with self._pool.connection() as conn:
                try:
                    with conn.transaction(), conn.cursor() as cur:
                        yield _Cursor(cur, postgres=True)
                except psycopg.errors.UniqueViolation as exc:
                    raise IntegrityError(str(exc)) from exc
        else:
            conn = self._sqlite()
            with self._writing:
                _begin_immediate(conn)
                try:
                    yield _Cursor(conn.cursor(), postgres=False)
                    conn.execute("COMMIT")
                except sqlite3.IntegrityError as exc:
                    conn.execute("ROLLBACK")
                    raise IntegrityError(str(exc)) from exc
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise

    def migrate(self) -> int:
        """Apply pending migrations; return the schema version."""
        with self.transaction() as cur:
            if self.postgres:
                cur.execute("SELECT pg_advisory_xact_lock(727274)")
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            cur.execute("SELECT MAX(version) FROM schema_version")
            row = cur.fetchone()
            current = int(row[0]) if row and row[0] is not None else 0
            for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in (s.strip() for s in script.split(";")):
                    if statement:
                        if self.postgres:
                            statement = statement.replace("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY")
                        cur.execute(statement)
                cur.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
            return len(MIGRATIONS)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def use_wal(conn: sqlite3.Connection) -> None:
    """Switch a fresh database to WAL. The switch takes an exclusive lock and SQLite answers "database is
    locked" at once, without its busy handler, when another connection opening the same new file holds it:
    retry until the busy timeout, as the busy handler would."""
    deadline = time.monotonic() + _SQLITE_BUSY_S
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def _begin_immediate(conn: sqlite3.Connection) -> None:
    """Begin a write transaction, waiting for another process's writer in short steps (``_LOCKED_RETRY_S``)
    rather than in SQLite's busy handler, up to its timeout. (Once begun, nothing in a WAL write transaction
    waits for a lock: the handler is back for the readers' rare waits.)"""
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        deadline = time.monotonic() + _SQLITE_BUSY_S
        delay = _LOCKED_RETRY_S[0]
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, _LOCKED_RETRY_S[1])
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(_SQLITE_BUSY_S * 1000)}")


class _Cursor:
    def __init__(self, cursor: Any, postgres: bool) -> None:
        self._cursor = cursor
        self._postgres = postgres

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> _Cursor:
        self._cursor.execute(sql if self._postgres else sql.replace("%s", "?"), params)
        return self

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)
