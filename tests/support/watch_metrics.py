"""Synthetic telemetry in memory for the watch: prepared series around ``T0``, a metrics source that serves
slices of them (and can be told to fail), and a small fleet with one service whose latency steps up."""

from __future__ import annotations

import numpy as np

from tools.sources.base import Series

__all__ = ["T0", "STEP", "FakeMetrics", "flat", "fleet"]

T0 = 1_800_000_000.0
"""The moment the tests scan at."""
STEP = 15.0


def flat(service: str, metric: str, level: float, noise: float, seed: int = 0, **labels: str) -> Series:
    """Two hours around ``T0`` at a 15 s step: ``level`` with Gaussian ``noise``."""
    times = np.arange(T0 - 3600, T0 + 3600 + STEP, STEP)
    values = np.random.default_rng(seed).normal(level, noise, len(times))
    return Series({"__name__": metric, "service": service, **labels}, times, values)


def fleet(step_to: float | None = 1.4, blip: float | None = None) -> list[Series]:
    """payments (p99 0.2 s; steps to ``step_to`` five minutes before T0, or blips to ``blip`` at T0 alone) and
    search, calm; each with traffic and errors."""
    latency = flat("payments", "latency_p99_seconds", 0.2, 0.01, seed=1)
    if step_to is not None:
        latency.values[latency.times >= T0 - 300] += step_to - 0.2
    if blip is not None:
        latency.values[latency.times == T0] = blip
    return [
        latency,
        flat("payments", "request_rate", 120.0, 4.0, seed=2),
        flat("payments", "error_ratio", 0.002, 0.0003, seed=3),
        flat("search", "latency_p99_seconds", 0.3, 0.01, seed=4),
        flat("search", "request_rate", 300.0, 9.0, seed=5),
        flat("search", "error_ratio", 0.001, 0.0002, seed=6),
    ]


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
