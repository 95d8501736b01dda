"""RCA ranking at scale: how long the anomaly ranking takes for a fleet, the size the issue names
(1,000 services × 20 series) and ten times that (10,000 × 20).

Synthetic fleet: one hour and three minutes at a 15 s step (252 points a series), every series noisy
(5% Gaussian), one service with a step on three of its series six minutes before the hint. The measured
call is ``rank_services`` (the work of the ``rank_anomalies`` tool), series already in memory."""

from __future__ import annotations

import time

import numpy as np

from bench.result import BenchOptions, Result
from bench.system import median

__all__ = ["NAME", "run", "fleet"]

NAME = "rca_scale"
T0 = 1_800_000_000.0
METRICS = [
    "request_rate",
    "error_ratio",
    "latency_p99_seconds",
    "latency_p50_seconds",
    "cpu_usage_ratio",
    "memory_usage_bytes",
    "db_pool_in_use_ratio",
    "queue_depth",
    "gc_pause_seconds",
    "cpu_throttled_ratio",
]


def fleet(services: int, per_service: int = 20, seed: int = 0) -> list:  # type: ignore[type-arg]
    """``services`` × ``per_service`` series; service ``s7`` steps up on three of them."""
    from tools.sources.base import Series

    rng = np.random.default_rng(seed)
    times = np.arange(T0 - 3600, T0 + 180, 15.0)
    out = []
    for s in range(services):
        noise = rng.normal(1.0, 0.05, (per_service, len(times)))
        if s == 7:
            noise[:3, times >= T0 - 360] += 2.0
        for m in range(per_service):
            labels = {"__name__": METRICS[m % len(METRICS)], "service": f"s{s}"}
            if m >= len(METRICS):
                labels["instance"] = f"i{m // len(METRICS)}"
            out.append(Series(labels, times, noise[m]))
    return out


def _time(services: int, repeats: int) -> tuple[float, bool]:
    from tools.rca.services import rank_services

    data = fleet(services)
    timings, right = [], True
    for _ in range(repeats):
        started = time.perf_counter()
        ranked = rank_services(data, T0)
        timings.append(time.perf_counter() - started)
        right = right and ranked[0].service == "s7"
    return median(timings), right


def run(options: BenchOptions) -> Result:
    sizes = options.pick([1000, 10000], [1000])
    repeats = options.pick(3, 1)
    measured = {n: _time(n, repeats if n <= 1000 else 1) for n in sizes}
    per_1000 = measured[1000][0]
    return Result(
        name=NAME,
        title="RCA ranking at scale",
        measured="rank_services on a synthetic fleet (20 series a service, 252 points each, one faulty service), "
        "series in memory; wall time of the ranking call",
        target="1,000 services × 20 series in ≤ 1 s; 10,000 reported",
        runs=repeats,
        headline=" · ".join(
            f"{n:,} services: {s:.2f} s" + ("" if right else " (WRONG service first)")
            for n, (s, right) in measured.items()
        ),
        met=per_1000 <= 1.0 and all(r for _, r in measured.values()),
        metrics={str(n): {"seconds": round(s, 3), "right_first": right} for n, (s, right) in measured.items()},
        notes=["--quick: 1,000 services once"] if options.quick else [],
    )
