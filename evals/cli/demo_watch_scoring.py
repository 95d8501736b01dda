"""How ``andon demo --watch`` scores what its watch saw (``evals.cli.demo_watch``) against one fault: the lead
over Alertmanager's page, the false warnings, how right each forecast's time to full was; and over a run of
faults, the summary and its table.

A warning counts for a fault when it is about the fault's target service or the alerted one, and its change
began after the injection (a forecast: first seen after it). A warning is false when it is told before the
injection, or after it about a service outside the fault's blast radius (the target, every service that calls
it directly or through others, and the alerted one), or about a change that began before the injection; a
warning of a harmless change is always false."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.table import Table

from evals.lab.topology import TOPOLOGY
from tools.rca.series import extra_labels
from tools.sources.base import Series

if TYPE_CHECKING:
    from evals.cli.demo_watch import Sighting

__all__ = [
    "watch_outcome",
    "forecast_accuracy",
    "lead_summary",
    "lead_table",
    "blast_radius",
    "ONSET_SLACK_S",
]

FULL_SHARE = 0.98
"""A reading at this share of its capacity is the resource run out (a scrape rarely catches the last byte)."""
NEAR_FULL_SHARE = 0.8
"""A fall from at least this share of the capacity is the resource having run out between two scrapes."""
ONSET_SLACK_S = 6.0
"""A change point this close before the injection still counts as the fault's (three lab samples: the engine
places a change point to within a sample or two)."""


def forecast_accuracy(sighting: Sighting, series: list[Series]) -> dict[str, Any]:
    """How right a forecast's time to full was: the first reading of its series at ≥ :data:`FULL_SHARE` of the
    capacity after the forecast, else — when the series fell from near its capacity (an OOM kill) — its last
    reading carried on at its own latest pace for the rest of the way (at most to the next scrape); ``error``
    is the projection's miss over the time it had to look ahead. ``observed`` false when the resource never ran out
    (a fix came first)."""
    out: dict[str, Any] = {
        "service": sighting.service,
        "metric": sighting.metric,
        "observed": False,
        "predicted_s": sighting.seconds_to_full,
        "actual_s": None,
        "error": None,
    }
    if not sighting.capacity or sighting.predicted_full_at is None or sighting.seconds_to_full is None:
        return out
    made_at = sighting.predicted_full_at - sighting.seconds_to_full
    found = next(
        (
            s
            for s in series
            if s.service == sighting.service and s.name == sighting.metric and extra_labels(s) == sighting.labels
        ),
        None,
    )
    if found is None:
        return out
    keep = np.isfinite(found.values) & (found.times >= made_at)
    times, values = found.times[keep], found.values[keep]
    full_at = None
    for i, value in enumerate(values):
        if value >= FULL_SHARE * sighting.capacity:
            full_at = float(times[i])
            break
        if i + 1 < len(values) and value >= NEAR_FULL_SHARE * sighting.capacity and values[i + 1] < 0.7 * value:
            rise = (value - float(values[i - 1])) / float(times[i] - times[i - 1]) if i > 0 else 0.0
            rest = (sighting.capacity - value) / rise if rise > 0 else 0.0
            full_at = min(float(times[i]) + rest, float(times[i + 1]))  # ran out before the next scrape
            break
    if full_at is None:
        return out
    actual = full_at - made_at
    error = abs(sighting.seconds_to_full - actual) / max(actual, 1e-9)
    return {
        **out,
        "observed": True,
        "actual_s": round(actual, 1),
        "error": round(error, 3),
        "within_30pct": error <= 0.3,
    }


def blast_radius(target: str, topology: dict[str, list[str]] | None = None) -> set[str]:
    """The services a fault of ``target`` reaches: itself, and every service that calls it, directly or through
    others (its errors and slowness travel up the calls)."""
    topology = TOPOLOGY if topology is None else topology
    reached, frontier = {target}, [target]
    while frontier:
        callee = frontier.pop()
        for caller, calls in topology.items():
            if callee in calls and caller not in reached:
                reached.add(caller)
                frontier.append(caller)
    return reached


def _after_onset(sighting: Sighting, injected_at: float) -> bool:
    """Its change began with the fault (a forecast: it was first told after the injection)."""
    if sighting.since is not None:
        return sighting.since >= injected_at - ONSET_SLACK_S
    return sighting.at >= injected_at


def _counts(sighting: Sighting, injected_at: float, services: set[str]) -> bool:
    return sighting.service in services and _after_onset(sighting, injected_at)


def _false(sighting: Sighting, injected_at: float, radius: set[str], harmless: bool) -> bool:
    """Told before the injection, about a service the fault cannot reach, about a change older than the fault, or
    about a harmless change."""
    return (
        harmless
        or sighting.at < injected_at
        or sighting.service not in radius
        or not _after_onset(sighting, injected_at)
    )


def watch_outcome(
    summary: dict[str, Any],
    sightings: list[Sighting],
    injected_at: float,
    alert_at: float | None,
    series: list[Series] | None = None,
    scan_seconds: list[float] | None = None,
) -> dict[str, Any]:
    """What the watch adds to one fault's summary: ``early_warning_lead_s`` (None without a page or without a
    warning of the fault: one in its blast radius whose change began with it), the first such warning, its
    forecasts, the false warnings (see :func:`_false`: every other one), and — the stricter reading —
    ``early_warning_lead_on_service_s``, from the first warning about the target or the alerted service alone."""
    services = {str(summary.get("target") or "")} | {str((summary.get("alert") or {}).get("service") or "")}
    services.discard("")
    radius = blast_radius(str(summary.get("target") or "")) | services
    harmless = (summary.get("expected") or {}).get("category") == "no_fault"
    """A harmless change (the lab's noise fault) should be warned about by nobody: every warning is false."""
    false = [s for s in sightings if _false(s, injected_at, radius, harmless)]
    relevant = [s for s in sightings if s not in false]
    first = relevant[0] if relevant else None
    on_service = next((s for s in relevant if _counts(s, injected_at, services)), None)
    return {
        "early_warning_lead_s": _lead(alert_at, first),
        "early_warning_lead_on_service_s": _lead(alert_at, on_service),
        "early_warning": None
        if first is None
        else {
            "service": first.service,
            "text": first.text,
            "forecast": first.forecast,
            "after_injection_s": round(first.at - injected_at, 1),
        },
        "watch_forecasts": [
            {
                "service": s.service,
                "text": s.text,
                "seconds_to_full": s.seconds_to_full,
                "after_injection_s": round(s.at - injected_at, 1),
                "accuracy": forecast_accuracy(s, series or []),
            }
            for s in relevant
            if s.forecast
        ],
        "watch_false_warnings": [s.text for s in false],
        "watch_other_warnings": [s.text for s in relevant if s is not first],
        "watch_scan_s": {
            "scans": len(scan_seconds),
            "median": round(statistics.median(scan_seconds), 3),
            "max": round(max(scan_seconds), 3),
        }
        if scan_seconds
        else None,
    }


def _lead(alert_at: float | None, sighting: Sighting | None) -> float | None:
    return round(alert_at - sighting.at, 1) if sighting is not None and alert_at is not None else None


def lead_summary(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Over a ``--fault all --watch`` run: how many faults were warned of before their page, and the median lead
    over the faults that paged and were warned of (negative leads — a warning after the page — included); the
    same over warnings about the target or the alerted service alone; and the false warnings."""
    paged = [s for s in summaries if s.get("alert") is not None]
    out: dict[str, Any] = {"faults": len(summaries), "paged": len(paged)}
    for suffix, key in (("", "early_warning_lead_s"), ("_on_service", "early_warning_lead_on_service_s")):
        leads = [float(s[key]) for s in paged if s.get(key) is not None]
        out[f"warned_before_page{suffix}"] = sum(1 for lead in leads if lead > 0)
        out[f"median_lead{suffix}_s"] = round(statistics.median(leads), 1) if leads else None
    out["false_warnings"] = sum(len(s.get("watch_false_warnings") or []) for s in summaries)
    return out


def lead_table(summaries: list[dict[str, Any]]) -> Table:
    """One row per fault: the first warning of it, when the page came, and the lead."""
    overall = lead_summary(summaries)
    table = Table(
        title="early warnings vs the page",
        caption="lead: seconds from the first early warning of the "
        "fault (its blast radius: the target and its callers) to Alertmanager's page (positive: the watch "
        "was earlier); false: warnings outside it, before the fault, or of a harmless change",
        caption_justify="left",
    )
    for column in ("fault", "first warning", "after injection", "page after injection", "lead"):
        table.add_column(column, overflow="fold")
    for summary in summaries:
        first = summary.get("early_warning") or {}
        detect = summary.get("time_to_detect_s")
        lead = summary.get("early_warning_lead_s")
        table.add_row(
            summary["fault"],
            str(first.get("text") or "—"),
            f"{first['after_injection_s']:.1f} s" if first else "—",
            f"{detect:.1f} s" if detect is not None else "no page",
            f"{lead:+.1f} s" if lead is not None else "—",
        )
    table.add_section()
    median = overall["median_lead_s"]
    table.add_row(
        "total",
        f"{overall['warned_before_page']}/{overall['faults']} warned before the page; "
        f"{overall['false_warnings']} false",
        "",
        "",
        f"median {median:+.1f} s" if median is not None else "—",
    )
    return table
