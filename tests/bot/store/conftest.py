"""The store's backends: every test here runs against SQLite and against the real PostgreSQL server
(a fresh database per test, dropped afterwards)."""

from __future__ import annotations

from tests.support.stores import database_url, store

__all__ = ["database_url", "store"]
