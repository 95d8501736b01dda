"""``andon lab soak``: its schedule of harmless disturbances (load swings, releases, rolling restarts, each
service in turn) and its report — every warning and forecast false, pages listed as the soak's own check."""

from __future__ import annotations

import pytest

from evals.cli.demo_watch import Sighting
from evals.lab.soak import SoakPlan, extra_rps, soak_events, soak_summary


def test_releases_and_restarts_take_the_services_in_turn_half_a_period_apart() -> None:
    plan = SoakPlan(minutes=10)
    events = soak_events(plan)

    assert [(e.at_s, e.kind) for e in events[:4]] == [
        (60.0, "deploy"),
        (180.0, "restart"),
        (300.0, "deploy"),
        (420.0, "restart"),
    ]
    assert [e.service for e in events if e.kind == "deploy"] == ["gateway", "checkout", "payments"]
    assert [e.service for e in events if e.kind == "restart"] == ["payments", "inventory"]
    assert all(e.at_s < 600 for e in events)


def test_the_load_swings_from_none_to_its_most_and_back_once_a_period() -> None:
    plan = SoakPlan()
    assert extra_rps(plan, 0.0) == pytest.approx(0.0)
    assert extra_rps(plan, plan.swing_period_s / 2) == pytest.approx(plan.swing_extra_rps)
    assert extra_rps(plan, plan.swing_period_s) == pytest.approx(0.0, abs=1e-9)


def test_the_report_counts_every_warning_and_forecast_as_false_and_names_what_came_before() -> None:
    started = 1000.0
    events = [{"at": 1060.0, "kind": "deploy", "service": "gateway"}]
    sightings = [
        Sighting("w1", "gateway", "Early warning — gateway", 1075.0, 1070.0, False),
        Sighting("f1", "checkout", "memory of checkout full in ~3 min", 1200.0, None, True),
    ]
    pages = [
        {"at": 1080.0, "alertname": "HighErrorRate", "service": "gateway"},
        {"at": 1082.0, "alertname": "HighErrorRate", "service": "gateway"},
    ]  # a repeat of the same alert

    report = soak_summary(SoakPlan(minutes=5), started, started + 300, events, sightings, pages, 150, 0, [0.1, 0.2])

    assert (report["false_warnings"], report["false_forecasts"]) == (1, 1)
    assert report["by_service"] == {"gateway": 1, "checkout": 1}
    assert report["warnings"][0]["after_event"] == "deploy of gateway 15 s before"
    assert report["pages"] == [{"at_s": 80.0, "alertname": "HighErrorRate", "service": "gateway"}]
    assert report["events"] == [{"at_s": 60.0, "kind": "deploy", "service": "gateway"}]
    assert report["scan_s"] == {"median": 0.15, "max": 0.2}
