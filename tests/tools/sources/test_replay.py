"""Replay sources: generator specs, PromQL selectors, logs, changes and Kubernetes objects."""

from __future__ import annotations

import numpy as np
import pytest

from tools.sources.base import Sources
from tools.sources.replay import ReplayTelemetry, load_replay_sources
from tools.sources.selectors import parse_selectors
from tools.sources.timespec import parse_duration, parse_instant

REF = parse_instant("2026-03-10T10:00:00Z")
SPEC = {
    "metrics": [
        {
            "service": "checkout",
            "metric": "error_ratio",
            "baseline": 0.01,
            "noise": 0.001,
            "effect": {"kind": "step", "at": "-5m", "to": 0.3},
        },
        {
            "service": "payments",
            "metric": "memory_usage_bytes",
            "baseline": 1e8,
            "noise": 0,
            "effect": {"kind": "ramp", "at": "-30m", "to": 4e8, "over": "30m"},
        },
        {"service": "payments", "metric": "error_ratio", "baseline": 0.9, "noise": 0.5},
    ],
    "logs": [{"service": "checkout", "template": "ERROR boom {id}", "per_minute": 12, "from": "-5m"}],
    "changes": [{"at": "-8m30s", "service": "checkout", "kind": "deploy", "version": "v2"}],
    "kubernetes": {"pods": [{"name": "p1", "service": "payments", "reason": "OOMKilled", "restarts": 3}]},
}


def test_generated_metrics_follow_their_effects_deterministically() -> None:
    first = ReplayTelemetry.from_spec(SPEC, REF, seed_key="s")
    again = ReplayTelemetry.from_spec(SPEC, REF, seed_key="s")
    assert np.array_equal(first.series[0].values, again.series[0].values)
    checkout = first.query_range('error_ratio{service="checkout"}', REF - 3600, REF + 180, 30)[0]
    assert checkout.values[checkout.times < REF - 400].mean() < 0.02
    assert checkout.values[checkout.times > REF - 200].mean() > 0.25
    ramp = first.query_range('max by (service) (memory_usage_bytes{service="payments"})', REF - 3600, REF, 30)[0]
    assert ramp.values[-1] == pytest.approx(4e8, rel=0.01) and ramp.values[0] == pytest.approx(1e8)
    ratio = first.query_range('error_ratio{service="payments"}', REF - 3600, REF, 30)[0]
    assert ratio.values.max() <= 1.0, "ratios are clipped to 1"


def test_logs_changes_and_pods() -> None:
    telemetry = ReplayTelemetry.from_spec(SPEC, REF)
    lines = telemetry.lines(REF - 3600, REF + 180, service="checkout")
    assert 50 <= len(lines) <= 120 and all(line.ts >= REF - 300 for line in lines)
    assert lines[0].level == "error"
    assert telemetry.changes(REF - 3600, REF)[0].ts == REF - 510
    assert telemetry.pods("payments")[0].reasons == ["OOMKilled"]


def test_selectors_and_time_parsing() -> None:
    selectors = parse_selectors('sum by (service) (rate(http_requests_total{service="a",code=~"5.."}[5m]))')
    assert [s.name for s in selectors] == ["http_requests_total"]
    assert ("code", "=~", "5..") in selectors[0].matchers
    assert parse_duration("-1h30m") == -5400 and parse_duration("90s") == 90
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("soon")
    with pytest.raises(ValueError, match="effect kind"):
        ReplayTelemetry.from_spec(
            {"metrics": [{"service": "a", "metric": "m", "effect": {"kind": "wobble", "to": 1}}]}, REF
        )


def test_history_adds_coarse_older_points_before_the_fine_window() -> None:
    spec = {
        "window": "60m",
        "step": "30s",
        "tail": "3m",
        "history": {"window": "8d", "step": "10m"},
        "metrics": [
            {
                "service": "api",
                "metric": "request_rate",
                "baseline": 10,
                "noise": 0,
                "seasonality": {"amplitude": 0.5, "period": "1d"},
            }
        ],
    }
    series = ReplayTelemetry.from_spec(spec, REF, seed_key="s").series[0]
    gaps = np.diff(series.times)
    assert series.times[0] == pytest.approx(REF - 8 * 86400)
    assert set(np.unique(gaps)) == {30.0, 600.0} and np.all(np.diff(gaps[gaps == 600.0]) == 0)
    assert series.times[gaps.argmin()] >= REF - 3600 - 600, "fine points only within the window"
    day_ago = series.values[np.argmin(np.abs(series.times - (REF - 86400)))]
    assert day_ago == pytest.approx(series.values[np.argmin(np.abs(series.times - REF))], rel=0.02)


def test_a_history_too_fine_to_generate_is_refused_with_the_reason() -> None:
    spec = {"history": {"window": "30d", "step": "1s"}, "metrics": [{"service": "a", "metric": "m"}]}
    with pytest.raises(ValueError, match="50,000 points"):
        ReplayTelemetry.from_spec(spec, REF)
    with pytest.raises(ValueError, match="needs a window"):
        ReplayTelemetry.from_spec({"history": {"step": "10m"}, "metrics": []}, REF)


def test_replayed_sources_say_so_and_live_ones_do_not() -> None:
    """``Sources.replayed`` tells recorded telemetry from a live system (verify trusts the replay's actuator)."""
    replayed = load_replay_sources(SPEC, REF, {"checkout": ["payments"]}, seed_key="s")
    assert replayed.replayed is True
    assert Sources().replayed is False
    assert Sources(metrics=replayed.metrics).replayed is False, "only whoever builds the bundle says it is replayed"
