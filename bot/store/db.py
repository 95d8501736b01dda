"""A thin database handle over sqlite3 or psycopg with one placeholder style (``%s``), the versioned
migrations of ``bot.store.migrations``, and SQLite's group transactions (for ``bot.store.group``)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.store.migrations import MIGRATIONS

__all__ = ["Database", "MIGRATIONS", "IntegrityError", "use_wal", "sqlite_path", "SYNCHRONOUS"]

log = logging.getLogger(__name__)


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


def sqlite_path(data_dir: Path) -> Path:
    """The SQLite file of the store kept in ``data_dir`` (when no PostgreSQL URL is set)."""
    return Path(data_dir) / "andon.sqlite"


@dataclass
class _Group:
    """A group transaction open on one thread (:meth:`Database.begin_group`)."""

    depth: int = 0
    """Savepoints open inside it."""
    after: list[Callable[[], None]] = field(default_factory=list)
    """What to do once it is committed (:meth:`Database.after_commit`)."""


class Database:
    """One connection per thread for SQLite; a connection pool for PostgreSQL.

    SQLite also has group transactions (:meth:`begin_group`, used by :class:`bot.store.group.GroupCommit`):
    while one is open on a thread, each :meth:`transaction` of that thread is a savepoint inside it, and
    nothing it wrote is durable, nor run :meth:`after_commit`, until :meth:`end_group` commits them all at once.
    The connection of a thread that commits groups leaves checkpoints to :meth:`checkpoint`."""

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
        if getattr(self._local, "group", None) is not None:  # inside the group's transaction: its snapshot
            yield _Cursor(conn.cursor(), postgres=False)
            return
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
        elif (group := getattr(self._local, "group", None)) is not None:
            with self._savepoint(group) as cur:
                yield cur
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

    def begin_group(self) -> bool:
        """Begin a group transaction on this thread if SQLite's write lock is free now and no other writer of
        this process is queued for it; False (nothing begun, nothing waited for) otherwise. SQLite only; one at
        a time per thread. It waits its turn behind this process's writer threads rather than going ahead of
        them: going ahead measured slower, as their writes (those of the commands that read on a thread, the
        slowest acknowledgements) then waited for SQLite's lock in short steps."""
        if self.postgres:
            raise RuntimeError("group transactions are SQLite's")
        if getattr(self._local, "group", None) is not None:
            raise RuntimeError("a group transaction is already open on this thread")
        if not self._writing.acquire(blocking=False):
            return False
        try:
            conn = self._sqlite()
            conn.execute("PRAGMA busy_timeout = 0")
            try:
                begun = _try_begin_immediate(conn)
            finally:
                conn.execute(f"PRAGMA busy_timeout = {int(_SQLITE_BUSY_S * 1000)}")
        except BaseException:
            self._writing.release()
            raise
        if not begun:
            self._writing.release()
            return False
        if not getattr(self._local, "grouping", False):  # this thread's connection commits groups from now on
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            self._local.grouping = True
        self._local.group = _Group()
        return True

    def checkpoint(self) -> None:
        """Copy what the write-ahead log holds into the database file (SQLite's passive checkpoint: it
        waits for no one, and no writer waits for it). A group's commit never does it on its own: a checkpoint
        syncs the disk, which under another job's I/O took 100 ms, and the event loop would wait that long."""
        if not self.postgres:
            self._sqlite().execute("PRAGMA wal_checkpoint(PASSIVE)")

    def end_group(self, commit: bool = True) -> None:
        """Commit (or roll back) this thread's group transaction; once committed, run what waited for it
        (:meth:`after_commit`). A commit that fails rolls everything in the group back and raises."""
        group: _Group = self._local.group
        self._local.group = None
        conn = self._sqlite()
        try:
            if commit:
                try:
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            else:
                conn.execute("ROLLBACK")
        finally:
            self._writing.release()
        for then in group.after if commit else ():
            try:
                then()
            except Exception:
                log.exception("after a group commit")

    def after_commit(self, then: Callable[[], None]) -> None:
        """Run ``then`` once what this thread wrote is committed: now, or when its group transaction commits
        (never, if the write it followed is rolled back; once, if the same ``then`` waits already)."""
        group: _Group | None = getattr(self._local, "group", None)
        if group is None:
            then()
        elif then not in group.after:  # the same wake-up for many writes: once
            group.after.append(then)

    @contextmanager
    def _savepoint(self, group: _Group) -> Iterator[Any]:
        """A :meth:`transaction` inside the group: a savepoint, rolled back alone if its block fails."""
        conn = self._sqlite()
        name = f"write{group.depth}"
        kept = len(group.after)
        conn.execute(f"SAVEPOINT {name}")
        group.depth += 1
        try:
            yield _Cursor(conn.cursor(), postgres=False)
            conn.execute(f"RELEASE {name}")
        except BaseException as exc:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            del group.after[kept:]
            if isinstance(exc, sqlite3.IntegrityError):
                raise IntegrityError(str(exc)) from exc
            raise
        finally:
            group.depth -= 1

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
        while not _try_begin_immediate(conn):
            if time.monotonic() > deadline:
                raise sqlite3.OperationalError("database is locked")
            time.sleep(delay)
            delay = min(delay * 2, _LOCKED_RETRY_S[1])
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(_SQLITE_BUSY_S * 1000)}")


def _try_begin_immediate(conn: sqlite3.Connection) -> bool:
    """Begin a write transaction if SQLite's write lock is free (with the busy timeout at 0, at once)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        return True
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        return False


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
