"""Watch fixtures: synthetic telemetry in memory (a metrics source that serves slices of prepared series, and
can be told to fail), and a store over both backends (SQLite, and the real PostgreSQL server)."""

from __future__ import annotations

import pytest

from bot.store import IncidentStore
from bot.watch import WatchState
from tests.support.stores import database_url, store  # the store over both backends
from tests.support.watch_metrics import STEP, T0, FakeMetrics, flat

__all__ = ["T0", "STEP", "FakeMetrics", "flat", "database_url", "store", "state"]


@pytest.fixture
def state(store: IncidentStore) -> WatchState:
    return WatchState(store.db)
