"""verify: did the symptoms clear after the actions? report: the RCA summary."""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from langgraph.runtime import Runtime

from bot.agent.context import AgentContext
from bot.agent.report import report_from_state
from bot.agent.state import InvestigationState
from tools.rca.evidence import read_evidence
from tools.sources import MetricsSource, Scraped
from tools.sources.profiles import RATE_WINDOW_SCRAPES, parse_selector

__all__ = ["verify", "report", "symptom_recovered", "symptom_series", "is_counter", "increase"]


COUNTER_SUFFIXES = ("_total", "_count", "_sum")
"""Prometheus names these cumulative counters: only their rate says anything about now."""
COUNTER_WINDOW_S = 30.0
"""How far back a counter's recent rate looks (never before the fix) — longer when the server scrapes so
seldom that this would not hold ``RATE_WINDOW_SCRAPES`` of its samples."""
COUNTER_STEP_S = 5.0
"""The step a counter is read at, or the server's scrape interval when that is shorter: every sample must
be read. A crash-looping pod replaced by the fix lives seconds; at a coarser step its series is one point,
and a counter that has one point has shown no growth."""
RECOVERED_SHARE = 0.3
"""Recovered when the symptom is back within this share of the way from its normal to its worst."""
REPLICA_LABELS = ("pod", "instance")
"""Labels that name one replica of a service rather than the signal: verify reads the symptom again on
every replica the service has now, not on the one (a restart replaced it) whose series shifted."""
RECOVERY_READINGS = 2
"""Readings in a row, a poll apart, that must find the symptom recovered (while there is time to wait): one
reading can catch a dip of a symptom that is still there."""
VERIFY_POLL_S = 3.0
"""How often verify looks again while it waits for recovery."""


def is_counter(metric: str, record: dict[str, Any] | None = None) -> bool:
    """Whether ``metric`` accumulates (restarts, errors, bytes served) rather than being a level."""
    return str((record or {}).get("type", "")).lower() == "counter" or metric.endswith(COUNTER_SUFFIXES)


def increase(times: list[float], values: list[float], start: float, end: float) -> float:
    """How much a counter grew in (start, end], each step's growth counted at the step's end; a drop is a
    restart of the counter, so the new value is all growth."""
    grown = 0.0
    for i in range(1, min(len(times), len(values))):
        if start < times[i] <= end:
            grown += values[i] - values[i - 1] if values[i] >= values[i - 1] else values[i]
    return grown


def symptom_series(
    ctx: AgentContext, state: InvestigationState, service: str, besides: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The series to verify: of the service's anomalous series, the one the diagnosis' runbook checks first
    (its heaviest metric check that found an anomaly) — a crash loop is verified on its restarts, not on the
    CPU its start-ups burnt — else the most anomalous one; when none of its own moved, its callers' calls to
    it; never ``besides`` (a series that was tried)."""
    evidence = read_evidence(state.get("calls", []))
    series = [asdict(s) for s in evidence.series(service)]
    if not any(float(s.get("score", 0.0)) >= ctx.params.anomaly_threshold for s in series):
        # nothing of its own moved (a crash loop seen in its logs and pods): its callers' calls to it did
        seen = [
            s
            for other in evidence.services.values()
            for s in other.series
            if s.labels.get("upstream") == service and s.score >= ctx.params.anomaly_threshold
        ]
        series = [asdict(s) for s in sorted(seen, key=lambda s: -s.score)] + series
    if besides is not None:
        series = [s for s in series if (s.get("metric"), s.get("key")) != (besides.get("metric"), besides.get("key"))]
    if not series:
        return None
    runbook_id = next(iter(state.get("hypotheses") or []), {}).get("runbook_id")
    runbook = next((rb for rb in ctx.kb.runbooks() if rb.id == runbook_id), None) if ctx.kb and runbook_id else None
    for check in sorted((c for c in runbook.checks if c.metric) if runbook else [], key=lambda c: -c.weight):
        found = [
            s
            for s in series
            if s.get("metric") == check.metric and float(s.get("score", 0.0)) >= ctx.params.anomaly_threshold
        ]
        if found:
            return found[0]
    return series[0]


def symptom_recovered(ctx: AgentContext, state: InvestigationState) -> tuple[bool | None, str]:
    """Is the root service's symptom (:func:`symptom_series`) back to normal? A level (a ratio, a latency,
    memory) is compared with its pre-onset level and the worst it reached; a counter (``restarts_total``…)
    by its recent rate against its rate before the onset and during the fault."""
    hypotheses = state.get("hypotheses", [])
    metrics = ctx.sources.metrics
    if not hypotheses or metrics is None:
        return None, "no metrics to verify against"
    service = hypotheses[0]["service"]
    top = symptom_series(ctx, state, service)
    if top is None:
        return None, f"no anomalous series recorded for {service}"
    if not is_counter(str(top["metric"]), top):
        return _level_recovered(metrics, ctx.clock(), state, service, top)
    rates = _counter_rates(metrics, ctx.clock(), state, service, top)
    if rates is not None and rates.faulty > rates.normal:
        return _counter_verdict(str(top["metric"]), service, rates)
    # a counter that returned nothing, or never grew faster during the fault than before it, cannot tell a
    # recovery: the next symptom the diagnosis found judges (a crash loop's traffic, its restarts unseen)
    unshown = (
        _counter_verdict(str(top["metric"]), service, None)[1]
        if rates is None
        else f"{_rates_detail(str(top['metric']), service, rates)}: it did not show the fault"
    )
    other = symptom_series(ctx, state, service, besides=top)
    if other is None:
        return None, unshown
    recovered, detail = (_counter_recovered if is_counter(str(other["metric"]), other) else _level_recovered)(
        metrics, ctx.clock(), state, service, other
    )
    return recovered, f"{detail} ({unshown})"


def _fixed_at(state: InvestigationState, onset: float, now: float) -> float:
    acted = max(
        (float(a.get("at") or 0.0) for a in state.get("actions", []) if a.get("status") == "executed"), default=now
    )
    return min(max(acted, onset), now)


def _read(
    metrics: MetricsSource, top: dict[str, Any], service: str, start: float, end: float, step: float
) -> list[Any]:
    """The shifted signal of ``service`` again, on every replica it has: by its name (every pod's series),
    else by the series' own key without the replica it named — a signal derived from a stack's standard names
    (a signal profile) exists only under its key, and a restart replaces the pod that key names."""
    key = str(top.get("key") or "")
    caller = str(top.get("service") or service) != service  # a caller's calls to it: read as the caller made them
    found = [] if caller else metrics.query_range(f'{top["metric"]}{{service="{service}"}}', start, end, step)
    if found or not key or "{" not in key:
        return found
    parsed = parse_selector(key)
    if parsed is None:
        return metrics.query_range(key, start, end, step)
    name, labels = parsed
    kept = {k: v for k, v in labels.items() if k not in REPLICA_LABELS}
    found = metrics.query_range(
        name + "{" + ",".join(f'{k}="{_escaped(v)}"' for k, v in kept.items()) + "}", start, end, step
    )
    # the pods a service is read from are matched by name (checkout-.*): not another workload's (checkout-db-0)
    return [s for s in found if s.labels.get("service", "") == kept.get("service", s.labels.get("service", ""))]


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _alive(found: list[Any], step: float) -> list[Any]:
    """The series still reported at the newest reading. A replica that is gone (a restart replaced its pod)
    stops being exported — cAdvisor and kube-state-metrics drop a dead pod's series, and Prometheus ends them
    with a staleness marker, so a range query has no points for them after it — while every live series has
    a point at the newest step (or, for raw samples, within its own sampling interval)."""
    dated = [s for s in found if len(s.times)]
    if not dated:
        return []
    latest = max(float(s.times[-1]) for s in dated)

    def interval(s: Any) -> float:
        return float(np.median(np.diff(s.times))) if len(s.times) > 1 else 0.0

    return [s for s in dated if latest - float(s.times[-1]) < max(step, interval(s))]


def _level_recovered(
    metrics: MetricsSource, now: float, state: InvestigationState, service: str, top: dict[str, Any]
) -> tuple[bool | None, str]:
    """The level now (last three samples) against its pre-onset level and the worst it reached before the fix
    (the diagnosis saw it early; a symptom often kept growing until the fix landed)."""
    metric = str(top["metric"])
    onset = float(top.get("onset") or now - 30)
    fixed = _fixed_at(state, onset, now)
    step = 5.0
    found = _read(metrics, top, service, min(onset, now - 30), now, step)
    recent = [float(v) for s in _alive(found, step) for v in s.values[-3:] if np.isfinite(v)]
    if not recent:
        return None, f"{metric} of {service} returned no data"
    level = sum(recent) / len(recent)
    before, peak = float(top["before"]), float(top["after"])
    during = [
        float(v)
        for s in found
        for t, v in zip(s.times, s.values, strict=False)
        if onset <= t <= fixed and np.isfinite(v)
    ]
    if during:
        worst = max(during) if peak >= before else min(during)
        peak = worst if abs(worst - before) > abs(peak - before) else peak
    ok = abs(level - before) <= RECOVERED_SHARE * abs(peak - before) + 1e-9
    return ok, f"{metric} of {service}: before {before:.4g}, worst {peak:.4g}, now {level:.4g}"


@dataclass(frozen=True)
class CounterRates:
    """A counter's growth per second in three windows, and how long the last one has watched."""

    normal: float
    """Well before the onset."""
    faulty: float
    """From a window before the onset to the fix (a change point can sit after the first increments)."""
    recent: float
    """Since the fix (never its first step, when the fix itself shows)."""
    watched_s: float
    """How long ``recent`` was measured over."""
    after_fix_s: float
    """How long ago the fix landed."""
    step_s: float
    """The step the counter was read at."""


def _scrape_s(metrics: MetricsSource) -> float | None:
    """How often the source samples, when it says."""
    if isinstance(metrics, Scraped):
        with contextlib.suppress(Exception):  # a hint: a server that cannot say is read as if it had not
            return max(float(metrics.scrape_s()), 1.0)
    return None


def _counter_rates(
    metrics: MetricsSource, now: float, state: InvestigationState, service: str, top: dict[str, Any]
) -> CounterRates | None:
    """The counter ``top`` read again on every replica at every sample; None when it returned no data."""
    scrape = _scrape_s(metrics)
    step = min(COUNTER_STEP_S, scrape or COUNTER_STEP_S)
    window = max(COUNTER_WINDOW_S, RATE_WINDOW_SCRAPES * (scrape or 0.0))
    onset = float(top.get("onset") or state["incident"].get("started_at") or now - 600)
    acted = _fixed_at(state, onset, now)
    found = _read(metrics, top, service, onset - 2 * window - step, now, step)
    history = [([float(t) for t in s.times], [float(v) for v in s.values]) for s in found if len(s.values)]
    if not history:
        return None

    def rate(start: float, end: float) -> float:
        return sum(increase(t, v, start, end) for t, v in history) / max(end - start, 1e-9)

    since = max(acted + step, now - window)
    return CounterRates(
        normal=rate(onset - 2 * window, onset - window),
        faulty=rate(onset - window, acted),
        recent=rate(since, now) if now > since else 0.0,
        watched_s=max(now - since, 0.0),
        after_fix_s=now - acted,
        step_s=step,
    )


def _rates_detail(metric: str, service: str, rates: CounterRates) -> str:
    return f"{metric} of {service}: {rates.normal * 60:.3g}/min before, {rates.faulty * 60:.3g}/min during the fault"


def _counter_verdict(metric: str, service: str, rates: CounterRates | None) -> tuple[bool | None, str]:
    """Recovered when the counter grows about as slowly as before the onset again; not judged until the
    time since the fix would have held at least one increment at the fault's rate."""
    if rates is None:
        return None, f"{metric} of {service} returned no data"
    normal, faulty = rates.normal, rates.faulty
    detail = _rates_detail(metric, service, rates)
    if rates.watched_s < rates.step_s or faulty * rates.watched_s < 1.0:
        return None, detail + f"; too soon after the fix to tell ({rates.after_fix_s:.0f}s)"
    ok = rates.recent <= normal + RECOVERED_SHARE * max(faulty - normal, 0.0) + 1e-9
    return ok, detail + f", {rates.recent * 60:.3g}/min over the last {rates.watched_s:.0f}s"


def _counter_recovered(
    metrics: MetricsSource, now: float, state: InvestigationState, service: str, top: dict[str, Any]
) -> tuple[bool | None, str]:
    """A counter's rate in three windows (:class:`CounterRates`): well before the onset (normal), from a
    window before the onset to the fix (the fault) and since the fix (now)."""
    return _counter_verdict(str(top["metric"]), service, _counter_rates(metrics, now, state, service, top))


REPLAY_CANNOT_RECOVER = (
    "replayed telemetry cannot show a recovery: the action was recorded, not run, and the "
    "replayed series stay as they were"
)


def verify(state: InvestigationState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    executed = [a for a in state.get("actions", []) if a.get("status") == "executed"]
    if not executed:
        return {"verification": {"checked": False, "recovered": None, "detail": "no action was executed"}}
    ctx.announce("verifying")
    healed = getattr(ctx.sources.actuator, "healed", None)
    if isinstance(healed, bool) and ctx.sources.replayed:
        if not getattr(ctx.sources.actuator, "heals", None):  # example telemetry: no fix is known to change it
            return {"verification": {"checked": True, "recovered": None, "detail": REPLAY_CANNOT_RECOVER}}
        return {
            "verification": {
                "checked": True,
                "recovered": healed,
                "detail": "replayed system " + ("recovered" if healed else "did not recover"),
            }
        }
    deadline = time.time() + ctx.verify_wait_s
    held = 0
    while True:
        recovered, detail = symptom_recovered(ctx, state)
        held = held + 1 if recovered else 0
        if held >= RECOVERY_READINGS or time.time() >= deadline:
            return {"verification": {"checked": True, "recovered": recovered, "detail": detail, "at": time.time()}}
        time.sleep(min(VERIFY_POLL_S, max(deadline - time.time(), 0.1)))


def report(state: InvestigationState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    result = report_from_state(state)
    runtime.context.announce("report")
    return {"report": result}
