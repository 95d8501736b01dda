"""The incident store over both backends as a fixture: SQLite, and the real PostgreSQL server (a fresh
database per test, dropped afterwards). Import ``database_url`` and ``store`` into a conftest to use them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import IncidentStore, open_store
from tests.support.postgres import database_url

__all__ = ["database_url", "store"]


@pytest.fixture
def store(database_url: str | None, tmp_path: Path) -> Iterator[IncidentStore]:
    opened = open_store(database_url, tmp_path / "data")
    try:
        yield opened
    finally:
        opened.db.close()
