"""The engine's pipeline, from the evidence to ranked findings (docs/rules-engine.md draws it):

evidence → victims (who only propagates, whose node a job took) → changes tied to the trouble
         → recurring shapes discounted → verdict (no fault?) → suspects (service strength)
         → fits (which fault explains the most)
         → priors (retrieval, alert name, past incidents) → findings, best first
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from knowledge.documents import Runbook
from tools.rca.changes import (
    TLS_WORDS,
    Symptoms,
    identifiers,
    link_changes,
    link_stops,
    refused_credentials,
)
from tools.rca.evidence import Evidence
from tools.rca.explain import Fit, Outcomes, category_fits
from tools.rca.job_runs import job_runs
from tools.rca.load import callers, fault_onset, strain_came_later
from tools.rca.params import Params
from tools.rca.passed_on import passed_on
from tools.rca.quoting import quoting_callers
from tools.rca.records import Finding
from tools.rca.roles import name_by_role
from tools.rca.scope import implicated_nodes, release_zone_victims
from tools.rca.services import rescore
from tools.rca.settle import blame_stopped, explain_victims, mark_close_call
from tools.rca.sides import name_by_side
from tools.rca.suspects import assess, candidates
from tools.rca.verdict import no_fault
from tools.rca.victims import (
    load_named,
    mentions,
    name_the_level,
    named_upstreams,
    noisy_neighbours,
    reconcile_load,
)
from tools.rca.vocabulary import ACCUMULATING, classify

__all__ = ["Context", "diagnose", "KIND_FALLBACK"]

KIND_FALLBACK = {
    "errors": "bad_deploy",
    "latency": "network_latency",
    "cpu": "cpu_saturation",
    "memory": "memory_leak",
    "queue": "queue_backlog",
    "saturation": "connection_pool_exhaustion",
    "disk": "disk_full",
    "restarts": "crash_loop",
    "availability": "dependency_outage",
    "logs": "log_volume_explosion",
    "traffic": "traffic_surge",
    "io": "network_latency",
    "capacity": "autoscaler_limit",
    "clock": "clock_skew",
    "other": "dependency_outage",
}
"""The fault a service's dominant signal suggests when no runbook fits better."""


@dataclass
class Context:
    """What the diagnosis knows besides the evidence."""

    alerted: list[str] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    """Runbook ids retrieval found for the trigger, best first."""
    similar: list[dict[str, Any]] = field(default_factory=list)
    """Similar past incidents (``category``, ``services``), best first."""
    alertname: str | None = None
    topology: dict[str, list[str]] = field(default_factory=dict)
    step_s: float = 30.0
    """The metrics' sample spacing (how precisely a trend's start can be dated)."""


def _symptoms(evidence: Evidence, params: Params) -> dict[str, Symptoms]:
    out: dict[str, Symptoms] = {}
    services = set(evidence.services) | {c.service for c in evidence.changes}
    for service in services:
        record = evidence.services.get(service)
        starts = [
            (s.metric, s.trend_start, 0.0)
            for s in (record.series if record else [])
            if s.trend_start is not None and s.score >= params.anomaly_threshold
        ]
        starts += [
            (t.metric, t.trend_start, t.spacing_s)
            for t in evidence.trends.values()
            if t.service == service and t.trend_start is not None
        ]
        texts = evidence.error_texts(service)
        failing = [
            s.metric
            for s in (record.series if record else [])
            if s.kind == "errors" and s.score >= params.anomaly_threshold
        ]
        db = [
            s
            for s in (record.series if record else [])
            if s.score >= params.anomaly_threshold
            and (
                s.signal
                in ("lock_wait_seconds", "db_query_p99_seconds", "db_pool_wait_seconds", "db_pool_in_use_ratio")
            )
        ]
        drops = [
            s.onset
            for s in (record.series if record else [])
            if s.service == service
            and s.kind == "traffic"
            and s.direction == "down"
            and not (s.labels.get("upstream") or s.labels.get("dependency"))
            and s.change_pct is not None
            and s.change_pct <= -100 * params.drain_drop_share
        ]
        out[service] = Symptoms(
            onset=fault_onset(record, params) if record else None,
            trend_starts=[(m, float(t), d) for m, t, d in starts if t is not None],
            auth_failures=refused_credentials(texts + failing, evidence.log_texts(service)),
            tls_failures=any(TLS_WORDS.search(t) for t in texts + failing),
            failure_names=frozenset(n for t in texts for n in identifiers(t)),
            db_trouble=bool(db) or any("lock" in t.lower() or "slow" in t.lower() for t in texts),
            drained_less_at=min(drops, default=None),
        )
    return out


def _senders_see(symptoms: dict[str, Symptoms], evidence: Evidence) -> dict[str, Symptoms]:
    """A service with no trouble of its own that the telemetry names as sending another's load
    (``Evidence.senders``) is judged by the trouble of the one it loads: a job run or a change of it that
    came just before that trouble is tied to it, unless that trouble is a shape the same hour yesterday or
    last week also showed (a nightly job's usual load)."""
    out = dict(symptoms)
    repeating = {key for key, trend in evidence.trends.items() if trend.repeats}
    for name, record in evidence.services.items():
        seen = symptoms.get(name)
        if seen is None or seen.onset is None or any(s.key in repeating for s in record.series):
            continue
        for sender in record.load_from:
            if sender in evidence.senders and (sender not in out or out[sender].onset is None):
                out[sender] = seen
    return out


def _routine(service: str, evidence: Evidence) -> bool:
    """The service's work the same hour yesterday or last week looked the same: a scheduled job's run doing
    what it always does, not a change."""
    repeating = {key for key, trend in evidence.trends.items() if trend.repeats}
    record = evidence.services.get(service)
    return bool(record and any(s.key in repeating for s in record.series))


def _count_slow_burns(evidence: Evidence, params: Params) -> None:
    """A resource that has been filling since long before the window (a disk, a heap, a queue) counts by
    its rise since its trend began, read from the long past, not by the little it moved within the window."""
    for trend in evidence.trends.values():
        record = evidence.services.get(trend.service)
        if record is None or trend.burn_score is None or trend.burn_before is None:
            continue
        burning = [
            s
            for s in record.series
            if s.key == trend.key and s.kind in ACCUMULATING and s.direction == "up" and trend.burn_score > s.score
        ]
        for shift in burning:
            shift.score, shift.before, shift.trend_start = trend.burn_score, trend.burn_before, trend.trend_start
        if burning:
            onset = record.onset
            rescore(record, params)
            record.onset = onset


def _discount_recurring(evidence: Evidence, params: Params) -> set[str]:
    """Shifts the same hour yesterday or last week also showed count ``seasonal_discount`` of themselves;
    returns their keys."""
    repeating = {key for key, trend in evidence.trends.items() if trend.repeats}
    for record in evidence.services.values():
        if any(shift.key in repeating for shift in record.series):
            for shift in record.series:
                if shift.key in repeating:
                    shift.score = round(shift.score * params.seasonal_discount, 2)
            onset = record.onset
            rescore(record, params)
            record.onset = onset  # when the trouble began does not change with how much of it is news
    return repeating


def _neutral_kinds(service: str, evidence: Evidence, topology: dict[str, list[str]], params: Params) -> frozenset[str]:
    """Signal kinds whose shift on ``service`` tells no fault from another. A traffic rise is a surge only
    when it came from outside, through the edge: if no entry service upstream of it (one nobody calls) saw
    more traffic, the extra requests were made inside (retries, loops, a new fan-out) and are explained
    by whatever made its callers make them. Nor is a rise a surge on a service that shows no strain from
    it (its own errors, latency, CPU, pools and queues as before), or whose strain began well after it, or
    on a service the telemetry names as multiplying its own calls (``Evidence.senders``)."""
    record = evidence.services.get(service)
    if record is None or not _rose(record.series, "traffic", params):
        return frozenset()
    if service in evidence.senders:
        return frozenset({"traffic"})  # calls it multiplied itself (retries, a fan-out): no surge into it
    if not _strained(record.series, service, params) or strain_came_later(record, params):
        return frozenset({"traffic"})  # load it carries as before, or load that is not what strained it
    calling = callers(topology)
    if not calling.get(service):
        return frozenset()
    upstream, stack = set(), list(calling.get(service, []))
    while stack:
        current = stack.pop()
        if current not in upstream and current != service:
            upstream.add(current)
            stack.extend(calling.get(current, []))
    edges = [evidence.services[e] for e in upstream if not calling.get(e) and e in evidence.services]
    if edges and not any(_rose([s for s in e.series if s.service == e.service], "traffic", params) for e in edges):
        return frozenset({"traffic"})
    return frozenset()


STRAIN_KINDS = frozenset({"errors", "latency", "cpu", "saturation", "queue"})
"""What a service overloaded by its traffic shows."""


def _strained(series: list[Any], service: str, params: Params) -> bool:
    return any(
        s.service == service
        and s.kind in STRAIN_KINDS
        and s.direction == classify(s.metric).bad
        and s.score >= params.anomaly_threshold
        and not classify(s.metric).dependency
        for s in series
    )


def _rose(series: list[Any], kind: str, params: Params) -> bool:
    return any(
        s.kind == kind
        and s.direction == "up"
        and s.score >= params.anomaly_threshold * params.load_rise_share
        and not classify(s.metric).dependency
        for s in series
    )


def _fallback(service: str, evidence: Evidence) -> str:
    series = evidence.series(service)
    if any(c.family == "job" and c.linked for c in evidence.changes_of(service)):
        return "runaway_job"  # a job run tied to the trouble: what it does loudest (reads, CPU) is its work
    if not series:
        return "dependency_outage"
    category = KIND_FALLBACK.get(series[0].kind, "dependency_outage")
    linked = {c.family for c in evidence.changes_of(service) if c.linked}
    if series[0].kind == "other" and linked & {"deploy", "config"}:
        # a signal the vocabulary does not know says nothing of the fault: the change tied to it does
        return "bad_deploy" if "deploy" in linked else "bad_config"
    if category == "bad_deploy" and not any(c.family == "deploy" for c in evidence.changes_of(service)):
        record = evidence.services.get(service)
        configured = any(c.family == "config" and c.linked for c in evidence.changes_of(service))
        category = (
            "dependency_outage" if record and record.propagated_from else "bad_config" if configured else "bad_deploy"
        )
    return category


def _priors(service: str, fits: dict[str, Fit], context: Context, params: Params) -> dict[str, float]:
    """What retrieval, the alert's name and similar past incidents add to each category."""
    out: dict[str, float] = {}
    for category, fit in fits.items():
        prior = 0.0
        if fit.runbook is not None:
            depth = params.retrieval_depth
            if fit.runbook.id in context.retrieved[:depth]:
                prior += params.retrieval_prior * (depth - context.retrieved.index(fit.runbook.id)) / depth
            if context.alertname and context.alertname in fit.runbook.alerts:
                prior += params.alertname_prior
        out[category] = prior
    depth = params.similar_depth
    for rank, hit in enumerate(context.similar[:depth]):
        if hit.get("category") in out and service in (hit.get("services") or [])[:1]:
            out[hit["category"]] += params.similar_prior * (depth - rank) / depth
    # what the alert and retrieval say about a symptom they say as much of the cause that explains it
    return {
        category: max([prior] + [out.get(effect, 0.0) for effect in fits[category].effects])
        for category, prior in out.items()
    }


def diagnose(
    evidence: Evidence,
    runbooks: list[Runbook],
    context: Context,
    params: Params | None = None,
    outcomes: Outcomes | None = None,
) -> list[Finding]:
    """Findings best first; each cites the tool results that support or refute it (``outcomes``: a cache of
    check outcomes for scoring the same evidence again)."""
    params = params or Params()
    evidence.topology = context.topology
    _count_slow_burns(evidence, params)
    reconcile_load(evidence, context.topology, params)
    load_named(evidence, params)
    noisy_neighbours(evidence, params)
    release_zone_victims(evidence, params)
    known = set(evidence.services) | {n for caller, deps in context.topology.items() for n in [caller, *deps]}
    named = mentions(evidence, known)
    symptoms = _symptoms(evidence, params)
    first = evidence.services[evidence.ranked[0]].onset if evidence.ranked else None
    runs = job_runs([e for es in evidence.events.values() for e in es], evidence.changes, first)
    evidence.changes += [run for run in runs if not _routine(run.service, evidence)]
    link_changes(evidence.changes, _senders_see(symptoms, evidence), params, context.step_s)
    quoting_callers(evidence, symptoms, params, named)
    piled = link_stops(evidence.changes, symptoms, params, context.step_s)
    name_the_level(evidence, params)
    named_upstreams(evidence, named, params)
    passed_on(evidence, params)
    repeating = _discount_recurring(evidence, params)
    verdict = no_fault(evidence, context.alerted, params, repeating)
    if verdict is not None:
        return [verdict]
    suspects = {
        s: assess(s, evidence, context.alerted, named.get(s, []), known, params)
        for s in candidates(evidence, context.alerted, named, params)
    }
    strongest = max((s.score for s in suspects.values()), default=1.0) or 1.0
    all_fits = {service: _fits(service, evidence, runbooks, context, params, outcomes) for service in suspects}
    name_by_side(all_fits, evidence, context.topology, params)
    findings: list[Finding] = []
    chosen: dict[tuple[str, str], Fit] = {}
    for service, suspect in suspects.items():
        relative = suspect.score / strongest
        fits = all_fits[service]
        priors = _priors(service, fits, context, params)
        for category, fit in fits.items():
            value = fit.score + priors.get(category, 0.0)
            strength = relative * (params.fit_floor + (1 - params.fit_floor) * value)
            clues = suspect.clues + fit.clues()
            if not clues:
                continue
            title = fit.runbook.title if fit.runbook else category.replace("_", " ")
            explains = sorted({o.check.name for o in fit.explained[:2]})
            summary = f"{title} on {service}" + (f" (it explains: {'; '.join(explains)})" if explains else "")
            findings.append(
                Finding(
                    service=service,
                    category=category,
                    confidence=round(min(strength, 0.99), 3),
                    summary=summary,
                    clues=clues,
                    runbook_id=fit.runbook.id if fit.runbook and fit.score > 0 else None,
                    strength=round(strength, 4),
                )
            )
            chosen[(service, category)] = fit
    blame_stopped(findings, piled, evidence, runbooks)
    explain_victims(findings, suspects, evidence)
    findings.sort(key=lambda f: (f.confidence, f.strength, len([c for c in f.clues if c.supports])), reverse=True)
    mark_close_call(findings, chosen, params)
    return findings[:8]


def _fits(
    service: str,
    evidence: Evidence,
    runbooks: list[Runbook],
    context: Context,
    params: Params,
    outcomes: Outcomes | None,
) -> dict[str, Fit]:
    """Every fault's fit for ``service``, with the category its dominant signal suggests as a floor."""
    fits = category_fits(
        runbooks,
        service,
        evidence,
        params,
        _neutral_kinds(service, evidence, context.topology, params),
        outcomes,
        implicated_nodes(service, evidence, params),
    )
    fallback = _fallback(service, evidence)
    floor = params.fallback_fit if runbooks else params.fallback_fit_without_runbooks
    known_fit = fits.get(fallback, Fit(fallback, 0.0))
    if known_fit.score < floor:
        fits[fallback] = Fit(fallback, floor, known_fit.runbook if known_fit.score > 0 else None, known_fit.outcomes)
    name_by_role(service, fits, evidence, params)
    return fits
