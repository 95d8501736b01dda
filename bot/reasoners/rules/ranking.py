"""Rank root-cause hypotheses: which service (anomaly ranking, changes, logs, Kubernetes state) and
which fault (the runbook whose declared checks the service's evidence confirms best)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from bot.models import Evidence, Hypothesis
from bot.reasoners.rules.checks import RunbookFit, evaluate_runbook, score_fits
from bot.reasoners.rules.evidence import EvidenceView
from bot.reasoners.rules.propagation import mentions, named_in, reconcile_load
from knowledge.documents import Runbook
from knowledge.taxonomy import consequences
from tools.analysis.anomaly import ANOMALY_THRESHOLD

__all__ = ["rank_hypotheses", "ServiceScore"]

_BAD_K8S = ("oomkilled", "crashloopbackoff", "backoff", "error", "evicted", "unhealthy", "failedscheduling",
            "nodenotready", "nodelost", "failed", "killing")
_KIND_FALLBACK = {"errors": "bad_deploy", "latency": "network_latency", "cpu": "cpu_saturation",
                  "memory": "memory_leak", "queue": "queue_backlog", "saturation": "connection_pool_exhaustion",
                  "disk": "disk_full", "restarts": "crash_loop", "availability": "dependency_outage",
                  "logs": "log_volume_explosion", "traffic": "traffic_surge", "io": "network_latency",
                  "capacity": "autoscaler_limit", "other": "dependency_outage"}
NO_FAULT_LEVEL = 6.0
"""Below this strongest fault z-score, with no error logs and no Kubernetes trouble, nothing is wrong."""


_HIT_DIRECTLY = ("nodelost", "nodenotready", "failedscheduling", "evicted", "oomkilled")
"""Pod trouble no dependency causes: the node under it went away, or its own memory ran out."""


def _hit_directly(reasons: list[str]) -> bool:
    return any(word in reason.lower() for reason in reasons for word in _HIT_DIRECTLY)


@dataclass
class ServiceScore:
    service: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)


def _service_score(service: str, view: EvidenceView, alerted: list[str], named_by: list[str],
                   known: set[str]) -> ServiceScore:
    record = view.services.get(service, {})
    anomaly = float(record.get("score", 0.0))
    strength = min(anomaly / 8.0, 1.0) if float(record.get("raw_score", 0.0)) >= ANOMALY_THRESHOLD else min(anomaly / 16.0, 0.25)
    evidence: list[Evidence] = []
    score = strength
    if record and view.anomaly_call and float(record.get("raw_score", 0.0)) >= ANOMALY_THRESHOLD:
        top = record["series"][0]
        note = f"; looks propagated from {', '.join(record['propagated_from'])}" if record.get("propagated_from") else ""
        if record.get("load_from"):
            note += f"; its load comes from {', '.join(record['load_from'])}"
        evidence.append(Evidence(call_id=view.anomaly_call, tool="rank_anomalies", weight=strength,
                                 summary=f"{service} anomalous: {top['metric']} {top['before']:.4g} → "
                                         f"{top['after']:.4g} (z={top['score']:.1f}){note}",
                                 supports=not (record.get("propagated_from") or record.get("load_from"))))
    for item in view.changes_of(service)[:1]:
        minutes = float(item["minutes_before_onset"])
        if item["change"]["kind"] in ("deploy", "config", "flag", "migration", "infra") and -3 <= minutes <= 60:
            bonus = 0.35 * math.exp(-max(minutes, 0.0) / 20.0) * (0.25 + 0.75 * strength)
            score += bonus
            change = item["change"]
            evidence.append(Evidence(call_id=view.change_call or "", tool="correlate_changes", weight=bonus,
                                     summary=f"{change['kind']} of {service} "
                                             f"({change.get('flag') or change.get('version') or change.get('description', '')})"
                                             f" {minutes:.0f} min before onset"))
    # its own errors; "upstream stripe failed: 503" is a caller's symptom and counts for the service it names
    spikes = [s for s in view.spikes.get(service, []) if s.get("error_like") and not named_in(s, service, known)]
    if spikes:
        bonus = 0.2 if any(s.get("new") for s in spikes) else 0.1
        score += bonus
        evidence.append(Evidence(call_id=view.spike_call or "", tool="log_template_spikes", weight=bonus,
                                 summary=f"{service} logs: '{spikes[0]['template'][:120]}' "
                                         f"({'new' if spikes[0].get('new') else 'spiking'})"))
    reasons = [r for r in view.k8s_reasons(service) if any(b in r.lower() for b in _BAD_K8S)]
    if reasons:
        score += 0.3
        evidence.append(Evidence(call_id=view.pod_call or view.event_call or "", tool="k8s_pods", weight=0.3,
                                 summary=f"{service} pods: {', '.join(sorted(set(reasons))[:3])}"))
    if named_by:
        bonus = min(0.1 * len(named_by), 0.25)
        score += bonus
        evidence.append(Evidence(call_id=view.spike_call or "", tool="log_template_spikes", weight=bonus,
                                 summary=f"error logs of {', '.join(named_by[:3])} name {service}"))
    if service in alerted:
        score += 0.05
    if (record.get("propagated_from") and not _hit_directly(reasons)) or record.get("load_from"):
        score *= 0.6  # explained by others, unless its own pods were hit where they run
    return ServiceScore(service, score, evidence)


def _candidates(view: EvidenceView, alerted: list[str], named: dict[str, list[str]]) -> list[str]:
    out = [s for s in view.ranked if float(view.services[s].get("raw_score", 0.0)) >= ANOMALY_THRESHOLD][:8]
    extra = list(alerted) + [c["change"]["service"] for c in view.changes[:5]] + list(view.spikes) + list(named) + [
        s for s in list(view.pods) + list(view.events) if view.k8s_reasons(s)]
    for service in extra:
        if service and service not in out:
            out.append(service)
    return out or list(view.ranked[:3]) or list(alerted)


def _fallback_category(service: str, view: EvidenceView) -> str:
    series = view.series(service)
    if not series:
        return "dependency_outage"
    top = series[0]
    category = _KIND_FALLBACK.get(str(top.get("kind")), "dependency_outage")
    if category == "bad_deploy" and not any(c["change"]["kind"] == "deploy" for c in view.changes_of(service)):
        category = "dependency_outage" if view.services[service].get("propagated_from") else "bad_deploy"
    return category


def _fit_evidence(fit: RunbookFit) -> list[Evidence]:
    out = [Evidence(call_id=o.call_id or "", tool="runbook_check", summary=f"✓ {o.check.name}: {o.detail}",
                    weight=o.check.weight) for o in fit.outcomes if o.confirmed]
    out += [Evidence(call_id=o.call_id or "", tool="runbook_check", summary=f"✗ {o.check.name}: {o.detail}",
                     supports=False, weight=o.check.weight) for o in fit.outcomes if o.observed and not o.confirmed][:2]
    return out


FALLBACK_FIT = 0.3
"""The category a service's dominant signal suggests, when no runbook's checks fit better."""
FALLBACK_FIT_WITHOUT_RUNBOOKS = 0.55
"""With no runbooks loaded at all, that signal-kind map is the only category knowledge there is."""
CAUSE_SHARE = 0.6
"""A fault that causes the best-fitting one is named instead when it fits at least this share as well."""


def _prefer_causes(best: dict[str, tuple[float, RunbookFit | None]]) -> None:
    """When a cause and its effect both fit (a leak and the GC pauses it brings), lift the cause above the effect."""
    effects = consequences()
    for _ in range(3):
        if not best:
            return
        top = max(best, key=lambda c: best[c][0])
        value = best[top][0]
        causes = [c for c, (v, _fit) in best.items()
                  if top in effects.get(c, frozenset()) and v >= max(CAUSE_SHARE * value, 0.2)]
        if not causes:
            return
        cause = max(causes, key=lambda c: best[c][0])
        best[cause] = (value + 0.01, best[cause][1])


LOW_VOLUME_ERRORS = 20.0
"""Fewer failed requests than this over an alert window is a handful of users, not an outage: at night-time
traffic a few errors make a large ratio."""
ALERT_WINDOW_S = 300.0


def _failed_requests(service: str, series: dict[str, Any], view: EvidenceView) -> float | None:
    """Roughly how many requests an error series' level means over an alert window (None: cannot tell)."""
    name, after = str(series.get("metric", "")), float(series.get("after", 0.0))
    if "per_second" in name or name.endswith("_rate"):
        return after * ALERT_WINDOW_S
    if "ratio" not in name or after >= 0.5:
        return None  # a quiet service that mostly fails is down, however few its requests
    owner = str(series.get("service") or service)
    rates = [float(s.get("after", 0.0)) for s in view.series(owner)
             if s.get("service", owner) == owner and s.get("kind") == "traffic" and "request" in str(s.get("metric"))]
    return after * max(rates) * ALERT_WINDOW_S if rates else None


def _low_volume(strong: list[tuple[str, dict[str, Any]]], view: EvidenceView) -> bool:
    """Every strong signal is an error rate that, in absolute numbers, is a handful of failed requests."""
    counts = [_failed_requests(name, a, view) if a.get("kind") == "errors" else None for name, a in strong]
    return bool(counts) and all(c is not None and c < LOW_VOLUME_ERRORS for c in counts)


def _no_fault(view: EvidenceView, alerted: list[str]) -> Hypothesis | None:
    """Nothing wrong: no strong fault signal, a lone uncorroborated blip — one series somewhere moved,
    nothing else did (no second signal, no caller, no error logs, no change, no Kubernetes trouble) — or
    error ratios that are large only because traffic is tiny."""
    fault_level = max((float(s.get("fault_score", 0.0)) for s in view.services.values()), default=0.0)
    error_logs = any(s.get("error_like") for spikes in view.spikes.values() for s in spikes)
    trouble = any(any(b in r.lower() for b in _BAD_K8S) for s in set(view.pods) | set(view.events)
                  for r in view.k8s_reasons(s))
    strong = [(name, a) for name, record in view.services.items() for a in record.get("series", [])
              if float(a.get("score", 0.0)) >= ANOMALY_THRESHOLD and a.get("kind") not in ("traffic", "io", "capacity")]
    if not trouble and not any(view.changes_of(name) for name, _ in strong) and _low_volume(strong, view):
        service = alerted[0] if alerted else strong[0][0]
        why = (f"the error signals amount to fewer than {LOW_VOLUME_ERRORS:.0f} failed requests per "
               f"{ALERT_WINDOW_S / 60:.0f} min: a large ratio of very little traffic")
        return Hypothesis(service=service, category="no_fault", confidence=0.6,
                          summary=f"No fault found: {why}; likely a false alarm on a ratio threshold.",
                          evidence=[Evidence(call_id=view.anomaly_call or "", tool="rank_anomalies", summary=why)])
    if error_logs or trouble:
        return None
    errors = [a for _, a in strong if a.get("kind") == "errors"]
    if strong and not errors and all(a.get("recovering") for _, a in strong) and \
            not any(view.changes_of(name) for name, _ in strong):
        name, series = strong[0]
        why = (f"{series['metric']} of {name} spiked and is already coming back by itself, with no errors, error logs, "
               f"change or Kubernetes trouble")
        return Hypothesis(service=alerted[0] if alerted else name, category="no_fault", confidence=0.6,
                          summary=f"No fault found: {why}; a transient the system absorbed.",
                          evidence=[Evidence(call_id=view.anomaly_call or "", tool="rank_anomalies", summary=why)])
    lone = len(strong) == 1 and not view.changes_of(strong[0][0])
    if fault_level >= NO_FAULT_LEVEL and not lone:
        return None
    service = alerted[0] if alerted else (view.ranked[0] if view.ranked else "unknown")
    if lone:
        name, series = strong[0]
        why = (f"only {series['metric']} of {name} moved (z={float(series['score']):.1f}); no other signal, "
               f"caller, error log, change or Kubernetes event corroborates it")
        confidence = 0.55
    else:
        why = f"the strongest fault signal is z={fault_level:.1f} (< {NO_FAULT_LEVEL}), with no error logs"
        confidence = 0.9 if fault_level < ANOMALY_THRESHOLD else 0.6
    return Hypothesis(service=service, category="no_fault", confidence=confidence,
                      summary=f"No fault found: {why}; likely a false alarm or a flapping threshold.",
                      evidence=[Evidence(call_id=view.anomaly_call or "", tool="rank_anomalies", summary=why)])


def rank_hypotheses(view: EvidenceView, runbooks: list[Runbook], alerted: list[str], retrieved: list[str],
                    similar: list[dict[str, Any]], alertname: str | None = None,
                    topology: dict[str, list[str]] | None = None) -> list[Hypothesis]:
    """Hypotheses best first; each cites the tool results that support or refute it."""
    reconcile_load(view, topology or {})
    everyone = set(view.services) | {name for caller, deps in (topology or {}).items() for name in [caller, *deps]}
    named = mentions(view, everyone)
    no_fault = _no_fault(view, alerted)
    if no_fault is not None:
        return [no_fault]
    hypotheses: list[Hypothesis] = []
    bases = {service: _service_score(service, view, alerted, named.get(service, []), everyone)
             for service in _candidates(view, alerted, named)}
    strongest = max((b.score for b in bases.values()), default=1.0) or 1.0
    for service, base in bases.items():
        relative = base.score / strongest
        best: dict[str, tuple[float, RunbookFit | None]] = {}
        fits = [evaluate_runbook(rb, service, view) for rb in runbooks if rb.category != "no_fault"]
        score_fits(fits)
        for fit in fits:
            runbook = fit.runbook
            prior = 0.0
            if runbook.id in retrieved[:3]:
                prior += 0.04 * (3 - retrieved.index(runbook.id)) / 3
            if alertname and alertname in runbook.alerts:
                prior += 0.05
            if "*" not in runbook.services and service not in runbook.services:
                fit.score *= 0.5
            value = fit.score + prior
            if value > best.get(runbook.category, (-1.0, None))[0]:
                best[runbook.category] = (value, fit)
        _prefer_causes(best)
        fallback = _fallback_category(service, view)
        floor = FALLBACK_FIT if runbooks else FALLBACK_FIT_WITHOUT_RUNBOOKS
        if best.get(fallback, (0.0, None))[0] < floor:
            best[fallback] = (floor, best.get(fallback, (0.0, None))[1])
        for rank, hit in enumerate(similar[:5]):
            if hit.get("category") in best and service in hit.get("services", [])[:1]:
                value, known = best[hit["category"]]
                best[hit["category"]] = (value + 0.08 * (5 - rank) / 5, known)
        for category, (fit_score, chosen) in best.items():
            score = relative * (0.4 + 0.6 * min(fit_score, 1.0))
            evidence = base.evidence + (_fit_evidence(chosen) if chosen else [])
            if not evidence:
                continue
            title = chosen.runbook.title if chosen else category.replace("_", " ")
            hypotheses.append(Hypothesis(service=service, category=category, confidence=round(min(score, 0.99), 3),
                                         summary=f"{title} on {service}", evidence=evidence,
                                         runbook_id=chosen.runbook.id if chosen and chosen.score > 0 else None))
    hypotheses.sort(key=lambda h: h.confidence, reverse=True)
    return hypotheses[:8]
