"""``andon demo --watch``: the lead of the first early warning over the page, counted only for a warning of the
fault (its target or alerted service, its change after the injection); warnings before the injection, or any
for a harmless change, are false; ``--fault all`` adds the count warned before the page and the median lead.
The watch thread itself scans a metrics source, tells each warning once, and forgets all on ``reset``."""

from __future__ import annotations

import io
import time
from typing import Any

from rich.console import Console

from evals.cli.demo_watch import DemoWatch, Sighting, blast_radius, lead_summary, lead_table, watch_outcome
from tests.support.watch_metrics import T0, FakeMetrics, fleet

INJECTED = T0 - 60.0


def _summary(fault: str, target: str, alert_service: str | None, category: str = "bad_deploy") -> dict[str, Any]:
    return {
        "fault": fault,
        "target": target,
        "expected": {"service": target, "category": category},
        "alert": {"alertname": "X", "service": alert_service} if alert_service else None,
    }


def _seen(service: str, at: float, since: float | None, key: str = "", forecast: bool = False) -> Sighting:
    return Sighting(key or f"warning:{service}:{at}", service, f"Early warning — {service}", at, since, forecast)


def test_the_lead_is_from_the_first_warning_of_the_fault_to_the_page() -> None:
    sightings = [
        _seen("gateway", INJECTED - 20, INJECTED - 40),  # before the fault: false
        _seen("inventory", INJECTED + 4, INJECTED + 2),  # payments' fault cannot reach it: false
        _seen("gateway", INJECTED + 5, INJECTED + 2, key="g2"),  # calls checkout, which calls payments: a ripple
        _seen("payments", INJECTED + 9, INJECTED - 3),  # the change point a sample early still counts
        _seen("checkout", INJECTED + 12, INJECTED + 4),
    ]

    outcome = watch_outcome(_summary("bad_deploy", "payments", "checkout"), sightings, INJECTED, INJECTED + 21.5)

    assert outcome["early_warning_lead_s"] == 16.5  # the ripple on gateway is the fault's, and came first
    assert outcome["early_warning"] == {
        "service": "gateway",
        "text": "Early warning — gateway",
        "forecast": False,
        "after_injection_s": 5.0,
    }
    assert outcome["early_warning_lead_on_service_s"] == 12.5  # on payments (the target) or checkout (alerted)
    assert outcome["watch_false_warnings"] == ["Early warning — gateway", "Early warning — inventory"]
    assert outcome["watch_other_warnings"] == ["Early warning — payments", "Early warning — checkout"]


def test_the_blast_radius_is_the_target_and_everything_that_calls_it() -> None:
    assert blast_radius("payments") == {"payments", "checkout", "gateway"}
    assert blast_radius("inventory") == {"inventory", "checkout", "gateway"}
    assert blast_radius("worker") == {"worker"}
    assert blast_radius("db", {"api": ["cache"], "cache": ["db"], "batch": []}) == {"db", "cache", "api"}


def test_a_warning_after_the_page_is_a_negative_lead_and_none_or_no_page_is_none() -> None:
    late = watch_outcome(
        _summary("cpu_hog", "inventory", "inventory"),
        [_seen("inventory", INJECTED + 30, INJECTED + 1)],
        INJECTED,
        INJECTED + 20,
    )
    unwarned = watch_outcome(_summary("cpu_hog", "inventory", "inventory"), [], INJECTED, INJECTED + 20)
    old_change = watch_outcome(
        _summary("cpu_hog", "inventory", "inventory"),
        [_seen("inventory", INJECTED + 5, INJECTED - 30)],
        INJECTED,
        INJECTED + 20,
    )

    assert late["early_warning_lead_s"] == -10.0
    assert unwarned["early_warning_lead_s"] is None and unwarned["early_warning"] is None
    assert old_change["early_warning_lead_s"] is None  # a change from before the fault is not the fault's
    assert len(old_change["watch_false_warnings"]) == 1  # and it is false


def test_any_warning_of_a_harmless_change_is_false() -> None:
    outcome = watch_outcome(
        _summary("noise", "gateway", None, category="no_fault"),
        [_seen("gateway", INJECTED + 8, INJECTED + 1)],
        INJECTED,
        None,
    )

    assert outcome["early_warning_lead_s"] is None and outcome["watch_false_warnings"] == ["Early warning — gateway"]


def test_fault_all_reports_how_many_were_warned_before_the_page_and_the_median_lead() -> None:
    summaries = []
    for fault, lead in (("bad_deploy", 8.0), ("slow_dependency", 14.0), ("cpu_hog", -3.0), ("crash_loop", None)):
        summary = {
            **_summary(fault, "payments", "payments"),
            "time_to_detect_s": 20.0,
            "early_warning_lead_s": lead,
            "early_warning_lead_on_service_s": None if lead is None else lead - 2.0,
            "early_warning": None
            if lead is None
            else {"text": f"Early warning — {fault}", "after_injection_s": 20.0 - lead},
            "watch_false_warnings": ["x"] if fault == "cpu_hog" else [],
        }
        summaries.append(summary)
    summaries.append(
        {
            **_summary("noise", "gateway", None, "no_fault"),
            "time_to_detect_s": None,
            "early_warning_lead_s": None,
            "early_warning": None,
            "watch_false_warnings": [],
        }
    )

    overall = lead_summary(summaries)
    console = Console(record=True, width=160, color_system=None, file=io.StringIO())
    console.print(lead_table(summaries))
    text = console.export_text()

    assert overall == {
        "faults": 5,
        "paged": 4,
        "warned_before_page": 2,
        "median_lead_s": 8.0,
        "warned_before_page_on_service": 2,
        "median_lead_on_service_s": 6.0,
        "false_warnings": 1,
    }
    assert "2/5 warned before the page; 1 false" in text and "median +8.0 s" in text
    assert "+14.0 s" in text and "-3.0 s" in text and "no page" in text


def test_the_watch_thread_tells_each_warning_once_and_forgets_on_reset() -> None:
    told: list[Sighting] = []
    clock = [T0]
    watch = DemoWatch(FakeMetrics(fleet()), interval_s=0.05, on_sighting=told.append, clock=lambda: clock[0]).start()
    try:
        deadline = time.monotonic() + 20
        while watch.scans < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        first = watch.sightings()
        assert len(told) == 1  # three scans, one warning: told once
        watch.reset()  # (the next scan may already have found it again: no check of an empty list here)
        while len(told) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        watch.stop()

    assert [(s.service, s.forecast) for s in first] == [("payments", False)] and watch.scans >= 3
    assert [s.key for s in told] == [first[0].key] * 2  # told again only after the reset


def test_the_watch_does_not_scan_before_the_experiments_epoch() -> None:
    clock = [T0]
    watch = DemoWatch(FakeMetrics(fleet()), interval_s=0.02, clock=lambda: clock[0]).start(not_before=T0 + 10)
    try:  # the lab settles from its heal until its epoch
        time.sleep(0.3)
        assert watch.scans == 0 and watch.sightings() == []
        clock[0] = T0 + 10
        deadline = time.monotonic() + 20
        while watch.scans < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        watch.stop()
    assert watch.scans >= 1


def test_a_forecast_is_checked_against_when_its_resource_ran_out() -> None:
    import numpy as np

    from evals.cli.demo_watch import forecast_accuracy
    from tools.sources.base import Series

    times = np.arange(T0, T0 + 40, 2.0)
    values = np.minimum(60e6 + 10e6 * (times - T0), 256e6)  # +10 MB/s from 60 MB: full at T0 + 19.6 s
    values[times > T0 + 20] = 50e6  # OOM-killed between the readings at +18 s and +20 s, then restarted
    values[times == T0 + 20] = 50e6
    memory = Series({"__name__": "memory_usage_bytes", "service": "checkout", "container": "app"}, times, values)
    forecast = Sighting(
        "forecast:checkout",
        "checkout",
        "full in ~0 min",
        T0 + 4.5,
        None,
        True,
        seconds_to_full=17.0,
        metric="memory_usage_bytes",
        labels={"container": "app"},
        capacity=256e6,
        predicted_full_at=T0 + 4.0 + 17.0,
    )

    checked = forecast_accuracy(forecast, [memory])
    never = forecast_accuracy(forecast, [Series(memory.labels, times, np.full(len(times), 60e6))])

    assert checked["observed"] and checked["actual_s"] == 15.6 and checked["within_30pct"]  # 17 s said, 15.6 s came
    assert checked["error"] == round(abs(17.0 - 15.6) / 15.6, 3)
    assert not never["observed"] and never["error"] is None  # a fix came first: nothing to check it against
