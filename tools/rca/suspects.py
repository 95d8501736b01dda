"""Which services are suspects, and how strongly the evidence points at each (before asking which fault).

A service's strength starts from how anomalous it became, and grows with evidence of its own: a change
tied to the trouble, new error logs of its own, Kubernetes trouble of its pods, other services' error
logs naming it, being the one that alerted. A service whose anomaly others explain (its dependencies
turned anomalous first, or its callers sent it more load) keeps only part of it — unless its own pods
were hit where they run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tools.rca.changes import AUTH_WORDS
from tools.rca.evidence import Evidence
from tools.rca.params import Params
from tools.rca.records import Clue, ServiceRecord
from tools.rca.victims import accused, bad_reasons, hit_directly, resolvers

__all__ = ["Suspect", "candidates", "assess"]


@dataclass
class Suspect:
    service: str
    score: float
    clues: list[Clue] = field(default_factory=list)
    victim: bool = False
    """Others' faults or load explain its anomaly."""


def candidates(evidence: Evidence, alerted: list[str], named: dict[str, list[str]], params: Params) -> list[str]:
    """The anomalous services, then every service some other evidence points at."""
    out = [s for s in evidence.ranked if evidence.services[s].raw_score >= params.anomaly_threshold][:8]
    linked = [c.service for c in evidence.changes if c.linked][:5]
    extra = (
        list(alerted)
        + linked
        + list(evidence.spikes)
        + list(named)
        + [s for s in list(evidence.pods) + list(evidence.events) if evidence.k8s_reasons(s)]
    )
    for service in extra:
        if service and service not in out:
            out.append(service)
    return out or list(evidence.ranked[:3]) or list(alerted)


def _loaded_by(service: str, evidence: Evidence, params: Params) -> ServiceRecord | None:
    """The most anomalous service the telemetry names ``service`` as loading (``Evidence.senders``), unless
    ``service``'s own trouble propagates from elsewhere (a cache that emptied makes its reader send the
    misses on: that load is passed on, not its own doing)."""
    own = evidence.services.get(service)
    if service not in evidence.senders or (own is not None and own.propagated_from):
        return None
    loaded = [
        r
        for r in evidence.services.values()
        if service in r.load_from and r.raw_score >= params.anomaly_threshold and r.series
    ]
    return max(loaded, key=lambda r: r.score, default=None)


def assess(
    service: str, evidence: Evidence, alerted: list[str], named_by: list[str], known: set[str], params: Params
) -> Suspect:
    """How strongly the evidence points at ``service``, with the clues that say so."""
    record = evidence.services.get(service)
    reasons = bad_reasons(service, evidence)
    victim = bool(
        record and (((record.propagated_from or record.waiting) and not hit_directly(reasons)) or record.load_from)
    )
    anomaly = record.score * (params.propagated_discount if victim else 1.0) if record else 0.0
    strong = bool(record and record.raw_score >= params.anomaly_threshold)
    loaded = _loaded_by(service, evidence, params)
    if loaded is not None and loaded.score > anomaly:  # the anomaly its load explains is its own doing
        anomaly, strong = loaded.score, True
    quoting = [evidence.services[c] for c in evidence.quoted_by.get(service, [])]
    if quoting and max(r.score for r in quoting) > anomaly:  # its callers fail for a name it changed
        anomaly, strong = max(r.score for r in quoting), True
    # log-scaled, not capped: a far stronger anomaly still ranks higher, but evidence of another kind can
    # outweigh a moderate lead
    strength = (
        math.log1p(anomaly / params.strength_full)
        if strong
        else min(anomaly / (2 * params.strength_full), params.weak_strength_cap)
    )
    clues: list[Clue] = []
    score = strength
    if loaded is not None and evidence.anomaly_call and anomaly == loaded.score:
        clues.append(
            Clue(
                evidence.anomaly_call,
                "rank_anomalies",
                f"{service} sends {loaded.service}'s load: {loaded.series[0].describe()}",
                weight=strength,
            )
        )
    elif record and evidence.anomaly_call and strong:
        top = record.series[0]
        note = f"; looks propagated from {', '.join(record.propagated_from)}" if record.propagated_from else ""
        if record.waiting and not record.propagated_from:
            note += "; its own latency is its outgoing calls' (it waits on a dependency)"
        if record.load_from:
            note += f"; its load comes from {', '.join(record.load_from)}"
        clues.append(
            Clue(
                evidence.anomaly_call,
                "rank_anomalies",
                f"{service} anomalous: {top.describe()}{note}",
                supports=not victim,
                weight=strength,
            )
        )
    linked = sorted((c for c in evidence.changes_of(service) if c.link_strength > 0), key=lambda c: -c.link_strength)
    for change in linked[:1]:
        bonus = (
            params.change_bonus
            * change.link_strength
            * (params.change_floor_share + (1 - params.change_floor_share) * min(strength, 1.0))
        )
        score += bonus
        clues.append(Clue(evidence.change_call or "", "correlate_changes", change.describe(), weight=bonus))
    # its own errors; "upstream stripe failed: 503" is a caller's symptom and counts for the service it names,
    # but "stripe: 401 expired API key" is the caller's own credential
    dns = resolvers(evidence, known)
    spikes = [
        s
        for s in evidence.spikes.get(service, [])
        if s.error_like
        and (not accused(s, service, known, dns, evidence.topology) or any(AUTH_WORDS.search(t) for t in s.texts()))
    ]
    if spikes:
        bonus = params.log_bonus_new if any(s.new for s in spikes) else params.log_bonus_spiking
        score += bonus
        clues.append(
            Clue(
                evidence.spike_call or "",
                "log_template_spikes",
                f"{service} logs: '{spikes[0].template[:120]}' ({'new' if spikes[0].new else 'spiking'})",
                weight=bonus,
            )
        )
    if reasons:
        score += params.kube_bonus
        clues.append(
            Clue(
                evidence.pod_call or evidence.event_call or "",
                "k8s_pods",
                f"{service} pods: {', '.join(sorted(set(reasons))[:3])}",
                weight=params.kube_bonus,
            )
        )
    if named_by:
        bonus = min(params.named_bonus * len(named_by), params.named_cap)
        score += bonus
        clues.append(
            Clue(
                evidence.spike_call or "",
                "log_template_spikes",
                f"error logs of {', '.join(named_by[:3])} name {service}",
                weight=bonus,
            )
        )
    if service in alerted:
        score += params.alerted_bonus
    if victim:
        score *= params.victim_factor
    return Suspect(service, score, clues, victim)
