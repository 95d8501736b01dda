"""The watcher over replayed telemetry (the evals' generators, as scenarios describe it): a healthy shop with
seasonal load raises nothing scan after scan; the same shop with a bad deploy and a filling disk is warned
about, and the disk's time to full is forecast within 30%."""

from __future__ import annotations

from typing import Any

from bot.watch import Scanner, WatchState
from tools.sources.replay import load_replay_sources

REFERENCE = 1_800_000_000.0
SHOP = {"web": ["checkout"], "checkout": ["payments"], "payments": []}


def _metrics(service: str) -> list[dict[str, Any]]:
    return [
        {
            "service": service,
            "metric": "request_rate",
            "baseline": 200,
            "noise_pct": 0.05,
            "seasonality": {"period": "30m", "amplitude": 0.2},
        },
        {"service": service, "metric": "error_ratio", "baseline": 0.002, "noise": 0.0005},
        {"service": service, "metric": "latency_p99_seconds", "baseline": 0.25, "noise": 0.02},
        {"service": service, "metric": "cpu_usage_ratio", "baseline": 0.4, "noise": 0.03},
        {"service": service, "metric": "disk_usage_ratio", "baseline": 0.3, "noise": 0.002},
    ]


def _scanner(state: WatchState, metrics: list[dict[str, Any]]) -> Scanner:
    spec = {"window": "2h", "tail": "1h", "step": "15s", "metrics": metrics}
    sources = load_replay_sources(spec, REFERENCE, SHOP, seed_key="watch")
    assert sources.metrics is not None
    return Scanner(sources.metrics, state, topology=SHOP)


def test_a_healthy_shop_raises_nothing_scan_after_scan(state: WatchState) -> None:
    scanner = _scanner(state, [m for service in SHOP for m in _metrics(service)])
    for minute in range(0, 60, 5):
        report = scanner.scan(REFERENCE + minute * 60)
        assert report.blind is None and report.series == 15
        assert report.warnings == [] and report.forecasts == [], (minute, report.notices())


def test_a_bad_deploy_warns_and_a_filling_disk_is_forecast(state: WatchState) -> None:
    metrics = [m for service in SHOP for m in _metrics(service)]
    for spec in metrics:
        if (spec["service"], spec["metric"]) == ("payments", "error_ratio"):
            spec["effect"] = {"kind": "step", "at": "-4m", "to": 0.08}
        if (spec["service"], spec["metric"]) == ("checkout", "disk_usage_ratio"):
            spec["effect"] = {"kind": "ramp", "at": "-20m", "to": 1.3, "over": "100m"}  # +1%/min from 0.3

    report = _scanner(state, metrics).scan(REFERENCE)

    assert ("payments", "errors") in {(w.service, w.family) for w in report.warnings}
    [forecast] = report.forecasts
    truth_s = (1.0 - 0.5) / 0.01 * 60  # at 0.5 after 20 min, 50 points to go at 1 point a minute
    assert forecast.service == "checkout" and abs(forecast.seconds_to_full - truth_s) <= 0.3 * truth_s
