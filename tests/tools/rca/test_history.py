"""A suspect series' past: a nightly shape repeats yesterday's and last week's; a new one does not; a slope's
start is found hours back; a series with no past is simply not compared."""

from __future__ import annotations

from tools.rca.history import series_history
from tools.rca.params import Params
from tools.sources.replay import ReplayTelemetry

REF = 1_800_000_000.0 - 1_800_000_000.0 % 86400 + 2 * 3600 + 300  # 02:05 on some day
KEY = 'latency_p99_seconds{service="reports"}'


def _history(
    effect: dict[str, object],
    window: str = "60m",
    history: dict[str, str] | None = None,
    metric: str = "latency_p99_seconds",
) -> list:  # type: ignore[type-arg]
    spec = {
        "window": window,
        "step": "30s",
        "tail": "2m",
        "metrics": [{"service": "reports", "metric": metric, "baseline": 0.4, "noise": 0.02, "effect": effect}],
    }
    if history:
        spec["history"] = history
    telemetry = ReplayTelemetry.from_spec(spec, REF, seed_key="h")
    key = f'{metric}{{service="reports"}}'
    return series_history(telemetry, [key], REF - 300, REF - 3600, REF + 120, 30.0, Params())


def test_a_nightly_shape_repeats_and_a_new_one_does_not() -> None:
    nightly = _history(
        {"kind": "spike", "at": "-5m", "duration": "40m", "to": 3.5, "every": "1d"},
        history={"window": "8d", "step": "10m"},
    )
    tonight_only = _history(
        {"kind": "spike", "at": "-5m", "duration": "40m", "to": 3.5}, history={"window": "8d", "step": "10m"}
    )
    assert nightly[0].repeats == ["1d", "7d"]
    assert tonight_only[0].repeats == [] and tonight_only[0].compared == ["1d", "7d"]


def test_without_history_nothing_is_compared() -> None:
    alone = _history({"kind": "step", "at": "-5m", "to": 3.5})
    assert alone[0].compared == [] and alone[0].repeats == []


def test_a_slope_that_began_hours_ago_is_dated_there() -> None:
    slope = _history({"kind": "ramp", "at": "-6h", "to": 4e9, "over": "6h"}, window="8h", metric="memory_usage_bytes")
    began = slope[0].trend_start
    assert began is not None and abs(began - (REF - 6 * 3600)) <= 1800, (REF - began) / 3600


def test_a_slow_burn_is_measured_from_where_its_trend_began() -> None:
    slope = _history({"kind": "ramp", "at": "-6h", "to": 4e9, "over": "6h"}, window="8h", metric="memory_usage_bytes")
    assert slope[0].burn_score is not None and slope[0].burn_score >= 2 * Params().anomaly_threshold
    assert slope[0].burn_before is not None and slope[0].burn_before < 1e9, "the level before the climb"
    flat = _history({"kind": "step", "at": "-5m", "to": 3.5})
    assert flat[0].burn_score is None, "no trend, no burn"


def test_a_trend_already_climbing_a_day_ago_is_followed_back_to_its_start() -> None:
    """A disk filling since a retention change three days back: the day's window begins mid-climb."""
    slope = _history(
        {"kind": "ramp", "at": "-72h", "to": 0.97, "over": "72h"},
        window="2h",
        history={"window": "4d", "step": "10m"},
        metric="disk_usage_ratio",
    )
    began = slope[0].trend_start
    assert began is not None and abs(began - (REF - 72 * 3600)) <= 3 * 3600, (REF - began) / 3600
    shallow = Params(history_deep_s=Params().history_long_s)
    spec = {
        "window": "2h",
        "step": "30s",
        "tail": "2m",
        "history": {"window": "4d", "step": "10m"},
        "metrics": [
            {
                "service": "reports",
                "metric": "disk_usage_ratio",
                "baseline": 0.4,
                "noise": 0.02,
                "effect": {"kind": "ramp", "at": "-72h", "to": 0.97, "over": "72h"},
            }
        ],
    }
    telemetry = ReplayTelemetry.from_spec(spec, REF, seed_key="h")
    day = series_history(
        telemetry, ['disk_usage_ratio{service="reports"}'], REF - 300, REF - 3600, REF + 120, 30.0, shallow
    )
    assert day[0].trend_start is None or REF - day[0].trend_start <= 25 * 3600, "a day's look cannot see it"
