"""The anomaly ranking: the injected service first, propagation resolved upstream, slow burns, flapping."""

from __future__ import annotations

import zlib

import numpy as np

from tools.analysis.anomaly import ANOMALY_THRESHOLD, rank_services, score_series
from tools.sources.base import Series

T0 = 1_800_000_000.0
TIMES = np.arange(T0 - 3600, T0 + 180, 30.0)


def series(service: str, metric: str, base: float, noise: float, shift: float = 0.0, at: float = -360,
           seed: int = 0) -> Series:
    rng = np.random.default_rng(seed + zlib.crc32(f"{service}:{metric}".encode()))
    values = base + rng.normal(0, noise, TIMES.shape)
    values[T0 + at <= TIMES] += shift
    return Series({"__name__": metric, "service": service}, TIMES.copy(), values)


def test_injected_service_ranks_first_among_noisy_peers() -> None:
    data = [series(s, "latency_p99_seconds", 0.2, 0.02, seed=i) for i, s in enumerate("abcdef")]
    data += [series(s, "error_ratio", 0.01, 0.002, seed=i) for i, s in enumerate("abcdef")]
    data.append(series("d", "error_ratio", 0.01, 0.002, shift=0.2))
    ranked = rank_services(data, T0 - 120)
    assert ranked[0].service == "d"
    assert ranked[0].raw_score >= ANOMALY_THRESHOLD
    assert all(s.raw_score < ANOMALY_THRESHOLD for s in ranked[1:])
    assert abs(ranked[0].onset - (T0 - 360)) <= 60, "change-point onset found despite an imprecise hint"


def test_dependency_graph_prefers_the_upstream_most_anomalous_service() -> None:
    topology = {"gateway": ["checkout"], "checkout": ["payments"], "payments": []}
    data = [series("gateway", "error_ratio", 0.01, 0.002, shift=0.4, at=-300),
            series("checkout", "error_ratio", 0.01, 0.002, shift=0.3, at=-330),
            series("payments", "error_ratio", 0.01, 0.002, shift=0.1, at=-360)]
    without = rank_services(data, T0, None)
    assert without[0].service == "gateway"  # the loudest service is the caller
    ranked = rank_services(data, T0, topology)
    assert ranked[0].service == "payments"
    assert "payments" in next(s for s in ranked if s.service == "gateway").propagated_from


def test_slow_burn_ramp_is_detected() -> None:
    values = 5e8 + np.linspace(0, 4e8, len(TIMES)) + np.random.default_rng(1).normal(0, 5e6, TIMES.shape)
    scored = score_series(Series({"__name__": "memory_usage_bytes", "service": "api"}, TIMES, values), T0)
    assert scored is not None and scored.score >= ANOMALY_THRESHOLD and scored.direction == "up"


def test_a_shift_the_history_already_showed_is_discounted() -> None:
    flapping = 0.01 + 0.05 * (np.sin(np.arange(len(TIMES)) / 3.0) > 0.9)
    scored = score_series(Series({"__name__": "error_ratio", "service": "x"}, TIMES, flapping), T0)
    steady = series("x", "error_ratio", 0.01, 0.0001, shift=0.05)
    fresh = score_series(steady, T0)
    assert scored is not None and fresh is not None
    assert scored.score < fresh.score / 2


def test_client_side_metrics_speak_for_dependencies() -> None:
    own = score_series(series("a", "latency_p99_seconds", 0.2, 0.02, shift=1.0), T0)
    client = score_series(series("a", "client_latency_p99_seconds", 0.2, 0.02, shift=1.0), T0)
    assert own is not None and client is not None and client.score < own.score
