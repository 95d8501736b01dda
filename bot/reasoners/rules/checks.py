"""Run a runbook's declared checks against the evidence gathered for one candidate service."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from bot.reasoners.rules.evidence import EvidenceView
from knowledge.documents import Check, Runbook
from tools.analysis.anomaly import ANOMALY_THRESHOLD
from tools.analysis.signals import classify
from tools.sources.timespec import parse_duration

__all__ = ["CheckOutcome", "RunbookFit", "evaluate_runbook"]


@dataclass
class CheckOutcome:
    check: Check
    observed: bool
    confirmed: bool
    detail: str
    call_id: str | None
    key: str = ""
    """What evidence confirmed it (a series, a log template, a change, a Kubernetes reason), so the ranking
    can tell specific evidence (confirming one runbook) from generic evidence (confirming many)."""


@dataclass
class RunbookFit:
    runbook: Runbook
    service: str
    score: float
    outcomes: list[CheckOutcome] = field(default_factory=list)

    @property
    def confirmed(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if o.confirmed]


def _metric(check: Check, service: str, view: EvidenceView) -> CheckOutcome:
    wanted = str(check.metric)
    everything = view.series(service)
    if any(s.get("service") == service for s in everything):  # callers' views count only for services without telemetry
        everything = [s for s in everything if s.get("service") in (service, None)]
    series = [s for s in everything if s.get("metric") == wanted]
    if not series:
        return CheckOutcome(check, False, False, f"no {wanted} series for {service}", None)
    best = max(series, key=lambda s: float(s.get("score", 0.0)))
    expect = check.expect
    after, before = float(best.get("after", 0.0)), float(best.get("before", 0.0))
    if expect in ("up", "down", "started"):
        kind = classify(wanted)
        raw = float(best.get("score", 0.0)) / max(kind.weight, 1e-6)
        ok = raw >= ANOMALY_THRESHOLD and best.get("direction") == ("up" if expect == "started" else expect)
        idle_before = abs(before) <= 1e-3 * abs(after)
        if expect == "started":  # idle before the onset, busy after: something began running
            ok = ok and idle_before
        elif kind.kind == "traffic" and idle_before:  # traffic from nothing is a start, not a surge over normal
            ok = False
    else:
        op, _, number = expect.partition(":")
        limit, worse = float(number), ("up" if op == "above" else "down")
        holds_after, held_before = (after > limit, before > limit) if op == "above" else (after < limit, before < limit)
        moving = (best.get("direction") == worse and  # still getting worse, if slowly: a burn, not a plateau
                  float(best.get("score", 0.0)) / max(classify(wanted).weight, 1e-6) >= ANOMALY_THRESHOLD / 2)
        rules_out = classify(wanted).bad not in (None, worse)  # "CPU below 0.7": a healthy level rules a cause out
        if rules_out and holds_after and not _serving(service, view):
            return CheckOutcome(check, False, False, f"{service} has no ready replica: its {wanted} "
                                f"({before:.4g} → {after:.4g}) shows nothing healthy", view.pod_call)
        ok = holds_after and (rules_out or moving or not held_before)  # a symptom that held all along is not news
    detail = f"{service} {wanted}: {before:.4g} → {after:.4g} (z={float(best.get('score', 0.0)):.1f})"
    return CheckOutcome(check, True, ok, detail, view.anomaly_call, key=f"metric:{wanted}:{expect}")


def _serving(service: str, view: EvidenceView) -> bool:
    """Some replica of ``service`` is ready, or nothing says otherwise. A crash-looping service's quiet
    dependencies are the silence of a process that is not running, not a healthy reading."""
    pods = view.pods.get(service, [])
    return not pods or any(pod.get("ready", True) for pod in pods)


def _log(check: Check, service: str, view: EvidenceView) -> CheckOutcome:
    if view.spike_call is None:
        return CheckOutcome(check, False, False, "no log analysis", None)
    pattern = re.compile(str(check.log))
    for spike in view.spikes.get(service, []):
        texts = [str(spike.get("template", ""))] + [str(e) for e in spike.get("examples", [])]
        if any(pattern.search(t) for t in texts):
            return CheckOutcome(check, True, True, f"{service} logs: '{texts[-1][:140]}'", view.spike_call,
                                key=f"log:{spike.get('template', '')}")
    return CheckOutcome(check, True, False, f"no matching new log lines for {service}", view.spike_call)


def _change(check: Check, service: str, view: EvidenceView) -> CheckOutcome:
    if view.change_call is None:
        return CheckOutcome(check, False, False, "no change feed", None)
    within = parse_duration(check.within) / 60.0
    kind = str(check.change)
    for item in view.changes_of(service):
        change = item["change"]
        if (kind == "any" or change["kind"] == kind) and -3 <= float(item["minutes_before_onset"]) <= within:
            what = change.get("flag") or change.get("version") or change.get("description", "")
            return CheckOutcome(check, True, True, f"{change['kind']} of {service} ({what}) "
                                f"{item['minutes_before_onset']:.0f} min before onset", view.change_call,
                                key=f"change:{change['kind']}:{what}")
    return CheckOutcome(check, True, False, f"no {kind} change on {service}", view.change_call)


def _kubernetes(check: Check, service: str, view: EvidenceView) -> CheckOutcome:
    if view.pod_call is None and view.event_call is None:
        return CheckOutcome(check, False, False, "no Kubernetes source", None)
    wanted = str(check.kubernetes).lower()
    reasons = view.k8s_reasons(service)
    if wanted in ("notready", "node_not_ready", "nodenotready"):
        bad_nodes = [n.get("name", "") for n in view.nodes if not n.get("ready", True)]
        pod_nodes = {str(p.get("node")) for p in view.pods.get(service, [])}
        zone = _failed_zone(view, pod_nodes)
        if zone:  # not one node: a zone went down with it
            return CheckOutcome(check, True, False, f"nodes NotReady across zone {zone}, not a single node",
                                view.node_call)
        if bad_nodes and (not pod_nodes or pod_nodes & set(bad_nodes)):
            return CheckOutcome(check, True, True, f"node {bad_nodes[0]} NotReady", view.node_call, key="k8s:notready")
    if wanted in ("zonenotready", "zone_not_ready"):
        zone = _failed_zone(view, {str(p.get("node")) for p in view.pods.get(service, [])})
        if zone:
            return CheckOutcome(check, True, True, f"nodes NotReady across zone {zone}", view.node_call, key="k8s:zone")
        # absence proves little: an impaired zone's nodes often still report Ready
        return CheckOutcome(check, False, False, f"no zone-wide NotReady under {service}", view.node_call)
    hit = next((r for r in reasons if wanted in r.lower()), None)
    if hit:
        return CheckOutcome(check, True, True, f"{service}: {hit}", view.pod_call or view.event_call, key=f"k8s:{hit}")
    return CheckOutcome(check, True, False, f"no {check.kubernetes} on {service}", view.pod_call or view.event_call)


def _failed_zone(view: EvidenceView, pod_nodes: set[str]) -> str | None:
    """A zone where at least two nodes are NotReady, hosting some of the service's pods."""
    down: dict[str, set[str]] = {}
    for node in view.nodes:
        zone = node.get("zone") or (node.get("labels") or {}).get("topology.kubernetes.io/zone")
        if zone and not node.get("ready", True):
            down.setdefault(str(zone), set()).add(str(node.get("name", "")))
    return next((zone for zone, names in sorted(down.items()) if len(names) >= 2 and names & pod_nodes), None)


_EVALUATORS = {"metric": _metric, "log": _log, "change": _change, "kubernetes": _kubernetes}


def evaluate_runbook(runbook: Runbook, service: str, view: EvidenceView) -> RunbookFit:
    """Run ``runbook``'s checks for ``service``; :func:`score_fits` turns the outcomes into scores."""
    return RunbookFit(runbook, service, 0.0, [_EVALUATORS[c.kind](c, service, view) for c in runbook.checks])


_FACT_WEIGHT = {"kubernetes": 1.5, "change": 1.25}
"""A status reason Kubernetes reports (OOMKilled, CrashLoopBackOff) or a recorded change is a fact about the
failure mode; a metric shift or a log pattern is an observation that several faults share."""


def score_fits(fits: list[RunbookFit]) -> None:
    """Score each runbook's fit for one service. A confirmed check counts in proportion to how specific its
    evidence is: evidence that confirms many runbooks ("errors rose") counts little, evidence that confirms
    one ("CrashLoopBackOff", "flag flipped") counts fully. Observed-but-false checks count against."""
    sharing: dict[str, set[str]] = {}
    for fit in fits:
        for outcome in fit.confirmed:
            sharing.setdefault(outcome.key, set()).add(fit.runbook.category)
    for fit in fits:
        support = sum(o.check.weight * _FACT_WEIGHT.get(o.check.kind, 1.0) / math.sqrt(len(sharing[o.key]))
                      for o in fit.confirmed)
        against = sum(o.check.weight for o in fit.outcomes if o.observed and not o.confirmed and not o.check.later)
        unknown = sum(o.check.weight for o in fit.outcomes if not o.observed or (o.check.later and not o.confirmed))
        total = support + against + 0.3 * unknown
        share = support / total if total > 0 else 0.0
        fit.score = round(share * (1.0 - math.exp(-support / 2.0)), 3)
