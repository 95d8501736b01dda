"""The SQLite store's writers: threads of one process take turns on a lock of their own, so none of them
ever meets SQLite's "database is locked" (or its busy handler's sleeps) because of another; a writer of
another process is waited for in short steps; readers wait for no writer; the durability is chosen."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import bot.store.db as db_module
from bot.store.db import Database


def test_writers_of_one_process_queue_instead_of_finding_the_database_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(None, tmp_path)
    with database.transaction() as cur:
        cur.execute("CREATE TABLE hits (k TEXT PRIMARY KEY)")
    monkeypatch.setattr(db_module, "_SQLITE_BUSY_S", 0.0)  # new connections: no busy handler to wait in
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(30):
                with database.transaction() as cur:
                    cur.execute("INSERT INTO hits (k) VALUES (%s)", (f"{worker}:{n}",))
                    time.sleep(0.001)  # a write that holds the lock a moment, as an investigation's does
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with database.transaction() as cur:
        cur.execute("SELECT COUNT(*) FROM hits")
        assert cur.fetchone()[0] == 180


def test_a_reader_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    database = Database(None, tmp_path)
    with database.transaction() as cur:
        cur.execute("CREATE TABLE hits (k TEXT PRIMARY KEY)")
        cur.execute("INSERT INTO hits (k) VALUES ('before')")
    writing, release = threading.Event(), threading.Event()

    def write() -> None:
        with database.transaction() as cur:
            cur.execute("INSERT INTO hits (k) VALUES ('during')")
            writing.set()
            release.wait(5.0)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert writing.wait(5.0)
        started = time.monotonic()
        with database.read() as cur:
            seen = [row[0] for row in cur.execute("SELECT k FROM hits").fetchall()]
        assert time.monotonic() - started < 0.5, "read while the writer held its transaction"
        assert seen == ["before"], "a reader sees committed rows only"
    finally:
        release.set()
        writer.join()


def test_a_writer_of_another_process_is_waited_for_in_short_steps(tmp_path: Path) -> None:
    """Another ``Database`` over the same file stands in for the worker process (its own lock, its own
    connection): once it commits, the waiting writer goes on within milliseconds, not SQLite's 100 ms steps."""
    ours, theirs = Database(None, tmp_path), Database(None, tmp_path)
    with ours.transaction() as cur:
        cur.execute("CREATE TABLE hits (k TEXT PRIMARY KEY)")
    holding = threading.Event()
    held_s = 0.25  # SQLite's handler would sleep until 328 ms (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms)

    def hold() -> None:
        with theirs.transaction() as cur:
            cur.execute("INSERT INTO hits (k) VALUES ('theirs')")
            holding.set()
            time.sleep(held_s)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(5.0)
    started = time.monotonic()
    with ours.transaction() as cur:
        cur.execute("INSERT INTO hits (k) VALUES ('ours')")
    waited = time.monotonic() - started
    holder.join()
    assert waited < held_s + 0.04, (
        f"waited {waited * 1000:.0f} ms for a writer that held the lock {held_s * 1000:.0f} ms"
    )
    with ours.read() as cur:
        assert cur.execute("SELECT COUNT(*) FROM hits").fetchone()[0] == 2


@pytest.mark.parametrize(("synchronous", "pragma"), [("normal", 1), ("full", 2)])
def test_the_durability_is_the_one_asked_for(tmp_path: Path, synchronous: str, pragma: int) -> None:
    database = Database(None, tmp_path, synchronous=synchronous)
    with database.read() as cur:
        assert cur.execute("PRAGMA synchronous").fetchone()[0] == pragma
        assert cur.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_unknown_durability_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous must be one of NORMAL, FULL"):
        Database(None, tmp_path, synchronous="off")
