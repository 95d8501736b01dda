"""Group commit (``bot.store.group``): the writes of concurrent requests share one transaction and one
commit; each request has its result only once its writes are committed; one that fails is undone alone;
the event loop goes on while another process holds SQLite's write lock; what waits for the commit (a
wake-up) runs once, after it, and never for a write that was undone."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.store.db import Database, IntegrityError
from bot.store.group import GroupCommit


@pytest.fixture
def database(tmp_path: Path) -> Database:
    database = Database(None, tmp_path)
    with database.transaction() as cur:
        cur.execute("CREATE TABLE hits (k TEXT PRIMARY KEY)")
    return database


def _insert(database: Database, key: str) -> int:
    """A store write: a transaction of its own, or a savepoint inside this thread's group."""
    with database.transaction() as cur:
        return cur.execute("INSERT INTO hits (k) VALUES (%s)", (key,)).rowcount


def _keys(database: Database) -> list[str]:
    """What another connection (another thread: another process's view) sees committed."""
    seen: list[str] = []

    def read() -> None:
        with database.read() as cur:
            seen.extend(row[0] for row in cur.execute("SELECT k FROM hits ORDER BY k").fetchall())

    reader = threading.Thread(target=read)
    reader.start()
    reader.join()
    return seen


def test_concurrent_requests_share_one_commit_and_see_their_writes_committed(database: Database) -> None:
    group = GroupCommit(database)
    uncommitted: list[list[str]] = []

    def insert(key: str) -> str:
        _insert(database, key)
        uncommitted.append(_keys(database))  # another connection, while the group is open
        return key

    async def burst() -> list[str]:
        return list(await asyncio.gather(*(group.run(lambda k=f"k{n:02d}": insert(k)) for n in range(40))))

    assert asyncio.run(burst()) == [f"k{n:02d}" for n in range(40)]
    assert group.commits == 1, "forty concurrent requests, one commit"
    assert all(seen == [] for seen in uncommitted), "nothing is visible (durable) before the group commits"
    assert _keys(database) == [f"k{n:02d}" for n in range(40)]


def test_a_request_that_fails_is_undone_alone_and_told(database: Database) -> None:
    group = GroupCommit(database)

    def fails() -> None:
        _insert(database, "half-done")
        raise RuntimeError("the listener broke")

    async def burst() -> list[object]:
        return list(
            await asyncio.gather(
                group.run(lambda: _insert(database, "before")),
                group.run(fails),
                group.run(lambda: _insert(database, "before")),  # a duplicate key
                group.run(lambda: _insert(database, "after")),
                return_exceptions=True,
            )
        )

    first, failed, duplicate, last = asyncio.run(burst())
    assert (first, last) == (1, 1)
    assert isinstance(failed, RuntimeError)
    assert isinstance(duplicate, IntegrityError)
    assert group.commits == 1
    assert _keys(database) == ["after", "before"], "the failed request's write is undone, the others kept"


def test_the_loop_goes_on_while_another_process_holds_the_write_lock(tmp_path: Path, database: Database) -> None:
    theirs = Database(None, tmp_path)  # stands in for the worker process: its own lock, its own connection
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with theirs.transaction() as cur:
            cur.execute("INSERT INTO hits (k) VALUES ('theirs')")
            holding.set()
            release.wait(5.0)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(5.0)
    group = GroupCommit(database)

    async def scenario() -> tuple[int, float]:
        write = asyncio.ensure_future(group.run(lambda: _insert(database, "ours")))
        ticks = 0
        for _ in range(20):  # the loop is free: it runs other work while the write waits for the lock
            await asyncio.sleep(0.005)
            ticks += 1
        assert not write.done(), "the write waits for the lock"
        threading.Timer(0.0, release.set).start()
        released = time.monotonic()
        await write
        return ticks, time.monotonic() - released

    ticks, after_release_s = asyncio.run(scenario())
    holder.join()
    assert ticks == 20
    assert after_release_s < 0.1, "retried in short steps once the lock was free"
    assert _keys(database) == ["ours", "theirs"]


def test_a_lock_that_never_comes_fails_the_requests_and_writes_nothing(tmp_path: Path, database: Database) -> None:
    theirs = Database(None, tmp_path)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with theirs.transaction():
            holding.set()
            release.wait(5.0)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(5.0)
    group = GroupCommit(database, timeout_s=0.1)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            asyncio.run(group.run(lambda: _insert(database, "never")))
    finally:
        release.set()
        holder.join()
    assert _keys(database) == []


def test_what_waits_for_the_commit_runs_once_after_it_and_not_for_an_undone_write(database: Database) -> None:
    group = GroupCommit(database)
    rang: list[list[str]] = []
    undone: list[str] = []

    def ring() -> None:
        rang.append(_keys(database))

    def accept(key: str) -> None:
        _insert(database, key)
        database.after_commit(ring)  # the same wake-up for every job

    def accept_then_fail() -> None:
        _insert(database, "undone")
        database.after_commit(lambda: undone.append("ran"))
        raise RuntimeError("after the write")

    async def burst() -> None:
        await asyncio.gather(
            *(group.run(lambda k=f"job{n}": accept(k)) for n in range(5)),
            group.run(accept_then_fail),
            return_exceptions=True,
        )

    asyncio.run(burst())
    assert rang == [["job0", "job1", "job2", "job3", "job4"]], "once, and after the commit"
    assert undone == []


def test_reads_inside_a_group_see_its_own_writes(database: Database) -> None:
    group = GroupCommit(database)

    def write_then_read() -> int:
        _insert(database, "mine")
        with database.read() as cur:
            return int(cur.execute("SELECT COUNT(*) FROM hits").fetchone()[0])

    assert asyncio.run(group.run(write_then_read)) == 1


def test_a_group_never_checkpoints_on_the_loop_but_has_a_thread_do_it(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpointed: list[str] = []
    done = threading.Event()
    checkpoint = database.checkpoint

    def on_a_thread() -> None:
        checkpoint()
        checkpointed.append(threading.current_thread().name)
        done.set()

    monkeypatch.setattr(database, "checkpoint", on_a_thread)
    group = GroupCommit(database, clock=iter([0.0, 0.0, 5.0]).__next__)  # made, first commit, second commit

    async def two() -> None:
        await group.run(lambda: _insert(database, "a"))
        assert checkpointed == [], "not due yet"
        await group.run(lambda: _insert(database, "b"))

    asyncio.run(two())
    with database.read() as cur:  # the loop's connection (this thread's) never checkpoints by itself
        assert cur.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    assert done.wait(5.0)
    assert checkpointed == ["andon-checkpoint"]
