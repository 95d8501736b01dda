"""Schema migrations are versioned, recorded, idempotent, safe to run concurrently, and upgrade old data."""

from __future__ import annotations

from pathlib import Path

from bot.store.db import MIGRATIONS, Database
from bot.store.incidents import IncidentStore
from tests.support.together import all_at_once


def _versions(db: Database) -> list[int]:
    with db.transaction() as cur:
        return [int(r[0]) for r in cur.execute("SELECT version FROM schema_version ORDER BY version").fetchall()]


def test_migrate_records_every_version_once_and_is_idempotent(database_url: str | None, tmp_path: Path) -> None:
    db = Database(database_url, tmp_path)
    try:
        assert _versions(db) == list(range(1, len(MIGRATIONS) + 1))
        assert db.migrate() == len(MIGRATIONS) and db.migrate() == len(MIGRATIONS)
        assert _versions(db) == list(range(1, len(MIGRATIONS) + 1))
    finally:
        db.close()
    again = Database(database_url, tmp_path)  # a restart migrates nothing
    try:
        assert _versions(again) == list(range(1, len(MIGRATIONS) + 1))
    finally:
        again.close()


def test_concurrent_start_ups_migrate_once(database_url: str | None, tmp_path: Path) -> None:
    # A new SQLite file is the race: every start-up switches it to WAL at once. One round lost it about
    # one time in ten, so SQLite gets several fresh files.
    for round_ in range(1 if database_url else 12):
        _start_four_at_once(database_url, tmp_path / str(round_))


def _start_four_at_once(database_url: str | None, data_dir: Path) -> None:
    opened, errors = all_at_once(lambda: Database(database_url, data_dir))
    try:
        assert errors == []
        assert _versions(opened[0]) == list(range(1, len(MIGRATIONS) + 1))
    finally:
        for db in opened:
            db.close()


def test_an_old_schema_is_upgraded_with_its_data(database_url: str | None, tmp_path: Path) -> None:
    """A database left at version 1 (the first release) upgrades to the latest and keeps its rows."""
    full = MIGRATIONS[:]
    try:
        MIGRATIONS[:] = full[:1]
        old = Database(database_url, tmp_path)
        with old.transaction() as cur:
            cur.execute(
                "INSERT INTO approvals (incident_id, proposal_id, hash, decision, by_user, at) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                ("inc-old", "p-1", "h1", "approve", "U1", 1.0),
            )
        old.close()
    finally:
        MIGRATIONS[:] = full
    db = Database(database_url, tmp_path)
    try:
        assert _versions(db) == list(range(1, len(MIGRATIONS) + 1))
        store = IncidentStore(db)
        assert store.decisions("inc-old") == [
            {"proposal_id": "p-1", "hash": "h1", "decision": "approve", "by": "U1", "at": 1.0}
        ]
    finally:
        db.close()
