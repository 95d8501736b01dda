"""Graph tests run against both durable backends: SQLite in the data dir and a scratch PostgreSQL database."""

from __future__ import annotations

from tests.support.postgres import database_url

__all__ = ["database_url"]
