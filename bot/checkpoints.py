"""LangGraph checkpointers: SQLite in the data directory by default, PostgreSQL with ANDON_DATABASE_URL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

__all__ = ["open_checkpointer"]


def open_checkpointer(database_url: str | None, data_dir: Path) -> Any:
    """A durable checkpointer, so a paused investigation survives restarts and other processes can resume it."""
    if database_url and database_url.startswith(("postgres://", "postgresql://")):
        return _postgres(database_url)
    from langgraph.checkpoint.sqlite import SqliteSaver

    from bot.store.db import use_wal

    data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(data_dir / "checkpoints.sqlite", check_same_thread=False, timeout=30)
    use_wal(conn)
    saver = SqliteSaver(conn)
    saver.setup()
    return saver


def _postgres(database_url: str) -> Any:
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg import Connection
    from psycopg.rows import dict_row

    conn = Connection.connect(database_url, autocommit=True, prepare_threshold=0, row_factory=dict_row)
    saver = PostgresSaver(conn)  # type: ignore[arg-type]
    conn.execute("SELECT pg_advisory_lock(727275)")  # replicas starting together set the tables up one at a time
    try:
        saver.setup()
    finally:
        conn.execute("SELECT pg_advisory_unlock(727275)")
    return saver
