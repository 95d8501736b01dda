"""Durable state: incidents, timeline, approvals, executions, audit log and dedupe keys, in SQLite
(default, in the data directory) or PostgreSQL (``ANDON_DATABASE_URL``)."""

from bot.store.incidents import IncidentStore, open_store

__all__ = ["IncidentStore", "open_store"]
