"""Watch fixtures: synthetic telemetry in memory (a metrics source that serves slices of prepared series, and
can be told to fail), and a store over both backends (SQLite, and the real PostgreSQL server)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.store import IncidentStore
from bot.watch import WatchState
from tests.bot.store.conftest import database_url, store  # the store over both backends
from tools.sources.base import Series

__all__ = ["T0", "STEP", "FakeMetrics", "flat", "database_url", "store", "state"]

T0 = 1_800_000_000.0
"""The moment the tests scan at."""
STEP = 15.0


def flat(service: str, metric: str, level: float, noise: float, seed: int = 0, **labels: str) -> Series:
    """Two hours around ``T0`` at a 15 s step: ``level`` with Gaussian ``noise``."""
    times = np.arange(T0 - 3600, T0 + 3600 + STEP, STEP)
    values = np.random.default_rng(seed).normal(level, noise, len(times))
    return Series({"__name__": metric, "service": service, **labels}, times, values)


class FakeMetrics:
    """A metrics source over prepared series; ``error`` set, it fails as an unreachable Prometheus would."""

    def __init__(self, series: list[Series]) -> None:
        self.series = series
        self.error: Exception | None = None

    def candidate_series(self, start: float, end: float, step: float) -> list[Series]:
        if self.error is not None:
            raise self.error
        out = []
        for item in self.series:
            keep = (item.times >= start) & (item.times <= end)
            out.append(Series(dict(item.labels), item.times[keep], item.values[keep]))
        return out

    def query_range(self, query: str, start: float, end: float, step: float) -> list[Series]:
        return []

    def query(self, query: str, at: float) -> list[Series]:
        return []


@pytest.fixture
def state(store: IncidentStore) -> WatchState:
    return WatchState(store.db)
