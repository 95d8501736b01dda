"""Group commit on an event loop: the writes of many concurrent requests in one SQLite transaction.

A request's writes (its work, a plain function) are queued; the loop runs the queue in one group transaction
(:meth:`Database.begin_group`), each request's work in a savepoint of its own, commits once, and only then
gives each request its result. So what a request wrote is durable before its caller answers, as with a
transaction of its own, but a burst of a hundred requests costs one commit and one turn of SQLite's write
lock instead of a hundred.

The loop never waits for that lock: when another process (the worker, niced, whose transactions last as long
as it takes to be scheduled again) or another thread holds it, the queue is tried again a moment later —
``retry_s``, doubling up to its second value, as ``Database.transaction`` waits — while the loop goes on
reading and checking the requests that keep coming, which join the queue."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from bot.store.db import _LOCKED_RETRY_S, _SQLITE_BUSY_S, Database

__all__ = ["GroupCommit", "CHECKPOINT_EVERY_S"]

log = logging.getLogger(__name__)

T = TypeVar("T")
CHECKPOINT_EVERY_S = 1.0
"""At most this often, after a group commit, the write-ahead log is checkpointed on a thread of its own (the
loop's connection never checkpoints: a checkpoint waits for the disk)."""


class GroupCommit:
    def __init__(
        self,
        db: Database,
        retry_s: tuple[float, float] = _LOCKED_RETRY_S,
        timeout_s: float = _SQLITE_BUSY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``timeout_s``: how long the queue waits for the write lock before its requests fail."""
        self.db = db
        self.retry_s = retry_s
        self.timeout_s = timeout_s
        self._clock = clock
        self._queue: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._scheduled = False
        self._waiting_since: float | None = None
        self._delay = retry_s[0]
        self.commits = 0
        """Group transactions committed so far."""
        self._checkpointed_at = clock()
        self._checkpointing = threading.Lock()

    async def run(self, work: Callable[[], T]) -> T:
        """``work()``'s result once what it wrote is committed, with the writes of the other requests
        queued meanwhile. If it raises, what it wrote is rolled back and the exception is raised here; if the
        commit fails (or the lock never comes), the commit's exception is, and nothing of it was written."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append((work, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush, loop)
        return await future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        self._scheduled = False
        self._queue = [(work, future) for work, future in self._queue if not future.cancelled()]
        if not self._queue:
            return
        try:
            begun = self.db.begin_group()
        except Exception as exc:  # the database cannot be written (a full disk, a broken file)
            self._fail(exc)
            return
        if not begun:
            self._retry_later(loop)
            return
        self._waiting_since, self._delay = None, self.retry_s[0]
        batch, self._queue = self._queue, []
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        try:
            for work, future in batch:
                try:
                    with self.db.transaction():  # a savepoint: rolled back alone if the work fails
                        outcomes.append((future, work(), None))
                except Exception as exc:
                    outcomes.append((future, None, exc))
        except BaseException:
            self.db.end_group(commit=False)
            raise
        try:
            self.db.end_group(commit=True)
        except Exception as exc:  # nothing of the batch was written
            outcomes = [(future, None, exc) for future, _, _ in outcomes]
        else:
            self.commits += 1
            self._checkpoint_when_due()
        for future, value, error in outcomes:
            if future.cancelled():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)

    def _fail(self, error: Exception) -> None:
        """Every queued request gets ``error``: nothing of theirs was written."""
        batch, self._queue = self._queue, []
        self._waiting_since, self._delay = None, self.retry_s[0]
        for _, future in batch:
            if not future.cancelled():
                future.set_exception(error)

    def _checkpoint_when_due(self) -> None:
        now = self._clock()
        if now - self._checkpointed_at < CHECKPOINT_EVERY_S or not self._checkpointing.acquire(blocking=False):
            return
        self._checkpointed_at = now
        threading.Thread(target=self._checkpoint, name="andon-checkpoint", daemon=True).start()

    def _checkpoint(self) -> None:
        try:
            self.db.checkpoint()
        except Exception:  # another checkpoint, a busy file: the next one catches up
            log.debug("checkpoint skipped", exc_info=True)
        finally:
            self._checkpointing.release()

    def _retry_later(self, loop: asyncio.AbstractEventLoop) -> None:
        now = self._clock()
        if self._waiting_since is None:
            self._waiting_since = now
        if now - self._waiting_since > self.timeout_s:
            self._fail(sqlite3.OperationalError("database is locked"))
            return
        self._scheduled = True
        loop.call_later(self._delay, self._flush, loop)
        self._delay = min(self._delay * 2, self.retry_s[1])
