"""The SQLite store's writers: threads of one process take turns on a lock of their own, so none of them
ever meets SQLite's "database is locked" (or its busy handler's sleeps) because of another."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import bot.store.db as db_module
from bot.store.db import Database


def test_writers_of_one_process_queue_instead_of_finding_the_database_locked(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
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
