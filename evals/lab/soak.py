"""``andon lab soak``: the lab left healthy for N minutes — with load swings, harmless releases and rolling
restarts, the disturbances a healthy service lives through every day — while the proactive watch scans it.
Nothing breaks, so every warning and forecast the watch raises is a false one; the soak counts them (the
issue's target: none in 30 minutes).

Alertmanager's pages are recorded too, as the honesty check of the soak itself: a disturbance that pages was
not harmless, and a warning about it would not be false."""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from evals.lab.faults import FAULTS, inject
from evals.lab.loadgen import LoadGenerator
from evals.lab.webhook import AlertReceiver

__all__ = ["SoakPlan", "SoakEvent", "soak_events", "extra_rps", "run_soak", "soak_summary"]


@dataclass(frozen=True)
class SoakPlan:
    """What the soak does to the lab, and when; every number with its reason."""

    minutes: float = 30.0
    swing_extra_rps: float = field(
        default=10.0,
        metadata={"why": "load swings up to +50% of the lab's 20 requests/s, a busy hour over a quiet one"},
    )
    swing_period_s: float = field(
        default=300.0,
        metadata={
            "why": "one swing up and back every five minutes: a day's traffic curve on the lab's compressed clock, six "
            "times in a 30-minute soak"
        },
    )
    deploy_every_s: float = field(
        default=240.0,
        metadata={
            "why": "a harmless release every four minutes, each service in turn: a busy team's deploy cadence, "
            "compressed"
        },
    )
    restart_every_s: float = field(
        default=240.0,
        metadata={
            "why": "a rolling restart every four minutes, halfway between two releases (as a node drain or a config "
            "reload restarts pods)"
        },
    )
    quiet_start_s: float = field(
        default=60.0,
        metadata={"why": "the first disturbance waits a minute: a watch judges a change against the history before it"},
    )
    services: tuple[str, ...] = ("gateway", "checkout", "payments", "inventory", "worker")
    """The services the releases and restarts go round (every one the noise release applies to)."""


@dataclass(frozen=True)
class SoakEvent:
    at_s: float
    """Seconds after the soak began."""
    kind: str
    """``deploy`` (a harmless release) or ``restart`` (a rolling restart)."""
    service: str


def soak_events(plan: SoakPlan) -> list[SoakEvent]:
    """The releases and restarts of a soak, in time order: services taken in turn, releases and restarts
    interleaved half a period apart."""
    end = plan.minutes * 60.0
    events = []
    for kind, every, offset in (("deploy", plan.deploy_every_s, 0.0), ("restart", plan.restart_every_s, 0.5)):
        at, turn = plan.quiet_start_s + offset * every, 0 if kind == "deploy" else len(plan.services) // 2
        while at < end:
            events.append(SoakEvent(round(at, 1), kind, plan.services[turn % len(plan.services)]))
            at, turn = at + every, turn + 1
    return sorted(events, key=lambda e: e.at_s)


def extra_rps(plan: SoakPlan, elapsed_s: float) -> float:
    """The load on top of the lab's own at ``elapsed_s``: a smooth swing from none to ``swing_extra_rps`` and
    back, once per ``swing_period_s``."""
    phase = 2.0 * math.pi * elapsed_s / plan.swing_period_s
    return plan.swing_extra_rps * (1.0 - math.cos(phase)) / 2.0


class SoakWatch(Protocol):
    """The watch the soak runs beside (``evals.cli.demo_watch.DemoWatch``)."""

    scans: int
    blind_scans: int
    scan_seconds: list[float]

    def start(self) -> Any: ...

    def stop(self) -> None: ...

    def sightings(self) -> list[Any]: ...


def run_soak(
    lab: Any,
    watch: SoakWatch,
    receiver: AlertReceiver,
    plan: SoakPlan,
    on_event: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Soak ``lab`` (running, healed, past its epoch) for ``plan.minutes`` with ``watch`` scanning; returns
    :func:`soak_summary`'s report. The harmless releases stay deployed (the caller heals the lab after)."""
    say = on_event or (lambda _text: None)
    load = LoadGenerator(lab.layout, rps=max(extra_rps(plan, 0.0), 0.1), seed=7)
    loader = threading.Thread(target=load.run, name="soak-load", daemon=True)
    events, done = soak_events(plan), []
    started = clock()
    end = started + plan.minutes * 60.0
    watch.start()
    loader.start()
    try:
        while clock() < end:
            elapsed = clock() - started
            load.rps = max(extra_rps(plan, elapsed), 0.1)
            while events and events[0].at_s <= elapsed:
                event = events.pop(0)
                _disturb(lab, event)
                done.append({**asdict(event), "at": clock()})
                say(f"{event.kind} of {event.service} at +{elapsed:.0f} s")
            time.sleep(min(1.0, max(end - clock(), 0.0)))
    finally:
        load.stop()
        watch.stop()
    pages = [
        {
            "at": d.received_at,
            "alertname": a.get("labels", {}).get("alertname"),
            "service": _service(a.get("labels", {})),
        }
        for d in receiver.deliveries
        if started <= d.received_at <= end
        for a in d.firing
    ]
    return soak_summary(
        plan, started, end, done, watch.sightings(), pages, watch.scans, watch.blind_scans, watch.scan_seconds
    )


def _disturb(lab: Any, event: SoakEvent) -> None:
    if event.kind == "deploy":
        inject(lab.client, "noise", event.service)
    else:
        lab.client.restart(event.service)


def _service(labels: dict[str, Any]) -> str | None:
    found = labels.get("service") or labels.get("job") or labels.get("container")
    return str(found) if found else None


def soak_summary(
    plan: SoakPlan,
    started: float,
    ended: float,
    events: list[dict[str, Any]],
    sightings: list[Any],
    pages: list[dict[str, Any]],
    scans: int,
    blind_scans: int,
    scan_seconds: list[float],
) -> dict[str, Any]:
    """The soak's report: every warning and forecast is false (nothing broke); pages should be none."""
    told = [
        {
            "at_s": round(s.at - started, 1),
            "service": s.service,
            "forecast": s.forecast,
            "text": s.text,
            "after_event": _after(s.at, events),
        }
        for s in sightings
    ]
    unique_pages = {(p["alertname"], p["service"]): p for p in sorted(pages, key=lambda p: p["at"], reverse=True)}
    return {
        "minutes": plan.minutes,
        "started_at": started,
        "ended_at": ended,
        "plan": {k: v for k, v in asdict(plan).items() if k != "services"},
        "noise_release": FAULTS["noise"].title,
        "events": [{"at_s": round(e["at"] - started, 1), "kind": e["kind"], "service": e["service"]} for e in events],
        "false_warnings": sum(1 for t in told if not t["forecast"]),
        "false_forecasts": sum(1 for t in told if t["forecast"]),
        "by_service": dict(Counter(t["service"] for t in told)),
        "warnings": told,
        "pages": [
            {"at_s": round(p["at"] - started, 1), "alertname": p["alertname"], "service": p["service"]}
            for p in sorted(unique_pages.values(), key=lambda p: p["at"])
        ],
        "scans": scans,
        "blind_scans": blind_scans,
        "scan_s": {"median": round(statistics.median(scan_seconds), 3), "max": round(max(scan_seconds), 3)}
        if scan_seconds
        else None,
    }


def _after(at: float, events: list[dict[str, Any]]) -> str | None:
    """The latest disturbance before ``at`` (what a false warning most likely followed), with its delay."""
    before = [e for e in events if e["at"] <= at]
    if not before:
        return None
    last = before[-1]
    return f"{last['kind']} of {last['service']} {at - last['at']:.0f} s before"
