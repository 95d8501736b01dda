"""Run a runbook's declared checks against the evidence gathered for one candidate service."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.documents import Check, Runbook
from tools.rca.changes import (
    AUTH_WORDS,
    CHECK_FAMILIES,
    reasons_of,
    refused_credentials,
    refused_over_reason,
)
from tools.rca.evidence import Evidence
from tools.rca.job_runs import job_started
from tools.rca.params import Params
from tools.rca.records import Shift
from tools.rca.scope import zone_of
from tools.rca.services import worst_level
from tools.rca.victims import accused, resolvers
from tools.rca.vocabulary import classify
from tools.sources.timespec import parse_duration

__all__ = ["CheckOutcome", "evaluate_runbook", "reading_for"]


@dataclass
class CheckOutcome:
    check: Check
    observed: bool
    confirmed: bool
    detail: str
    call_id: str | None
    key: str = ""
    """What evidence confirmed it (a signal, a log template, a change, a Kubernetes reason), so scoring can
    tell specific evidence (confirming one fault) from generic evidence (confirming many)."""
    rules_out: bool = False
    """A level on the metric's healthy side ("CPU below 0.7"): it rules a rival cause out, it is no symptom."""


_UNITS = ("ratio", "seconds", "bytes", "total", "percent")


_COUNTDOWN = re.compile(r"(?i)expir|not_after|remaining|time_left|until")
"""Time left before a deadline (a certificate's expiry): under its threshold it is trouble however long it has
been there, because it only ever shrinks."""


def _unit(metric: str) -> str:
    return next((unit for unit in _UNITS if metric.lower().endswith(unit)), "")


def reading_for(check: Check, service: str, evidence: Evidence) -> list[Shift]:
    """The series a metric check reads for ``service``: those of its canonical signal, whatever their name
    (``http_401_ratio`` is an ``error_ratio``); a level check (``above:0.9``) only those in the same unit.
    The service's own series come before its callers' views of it (those count only for a service
    without telemetry of its own); the requests it sends to others are not the requests it serves."""
    wanted = classify(str(check.metric))
    everything = evidence.series(service)
    own = [s for s in everything if s.service == service]
    if own:
        everything = own
    found = [
        s
        for s in everything
        if (s.metric == check.metric or (wanted.name and s.signal == wanted.name))
        and (wanted.dependency or not _calls_made(s))
    ]
    if check.expect in ("up", "down", "started", "rising"):
        return found
    return [s for s in found if s.metric == check.metric or _unit(s.metric) == _unit(str(check.metric))]


def _calls_made(shift: Shift) -> bool:
    """Requests the service sends to others (``upstream_request_rate``): not the requests it serves."""
    return shift.kind == "traffic" and (bool(shift.labels.get("upstream")) or classify(shift.metric).dependency)


def _metric(check: Check, service: str, evidence: Evidence, params: Params) -> CheckOutcome:
    wanted = str(check.metric)
    series = reading_for(check, service, evidence)
    if not series:
        return CheckOutcome(check, False, False, f"no {wanted} series for {service}", None)
    level = check.expect.startswith(("above:", "below:"))
    best = worst_level(series) if level else max(series, key=lambda s: s.score)
    signal = classify(best.metric)
    signed = signal.bad == "both" and signal.kind == "clock"  # an offset is as bad behind as ahead
    after, before = (abs(best.after), abs(best.before)) if signed else (best.after, best.before)
    expect = check.expect
    idle_before = abs(before) <= params.idle_ratio * abs(after)
    if expect == "rising":  # a steady climb (a leak, a filling disk), not a step up with more work
        trend = evidence.trends.get(best.key)
        began = best.trend_start if best.trend_start is not None else (trend.trend_start if trend else None)
        ok = (
            best.direction == "up"
            and began is not None
            and not idle_before
            and best.score / max(signal.weight, 1e-6) >= params.anomaly_threshold * params.moving_share
        )
        # (from nothing, a process started and filled its memory: a start, not a climb)
    elif expect in ("up", "down", "started"):
        raw = best.score / max(signal.weight, 1e-6)
        ok = raw >= params.anomaly_threshold and (signed or best.direction == ("up" if expect == "started" else expect))
        if expect == "started":  # the workload idle before the onset, busy after: something began running
            ok = ok and all(abs(s.before) <= params.idle_ratio * abs(best.after) for s in series)
            # (a new pod of a busy service starts from nothing too: that is a replica added, not work begun)
        elif signal.kind == "traffic" and idle_before:  # traffic from nothing is a start, not a surge over normal
            ok = False
    else:
        op, _, number = expect.partition(":")
        limit, worse = float(number), ("up" if op == "above" else "down")
        holds_after, held_before = (after > limit, before > limit) if op == "above" else (after < limit, before < limit)
        worsened = (after - before) if worse == "up" else (before - after)
        trend = evidence.trends.get(best.key)
        # its longer past shows it climbing steadily for hours or days: a slow burn's last stretch
        burning = trend is not None and trend.trend_start is not None and worsened > 0
        moving = (
            (signed or best.direction == worse)  # still getting worse, if slowly: a burn, not a plateau
            and (
                best.score / max(signal.weight, 1e-6) >= params.anomaly_threshold * params.moving_share
                or worsened >= params.level_worsening_share * abs(before) > 0
                or burning
            )
        )
        rules_out = signal.bad not in ("both", worse)  # "CPU below 0.7": a healthy level rules a cause out
        if rules_out and holds_after and not _serving(service, evidence):
            return CheckOutcome(
                check,
                False,
                False,
                f"{service} has no ready replica: its {wanted} ({before:.4g} → {after:.4g}) shows nothing healthy",
                evidence.pod_call,
            )
        countdown = op == "below" and bool(_COUNTDOWN.search(best.metric))  # time left only ever shrinks
        # a symptom that held all along is not news, but time left only ever shrinks, and a clock off stays
        # off: whatever compares timestamps with it fails as soon as it reaches it
        ok = holds_after and (rules_out or moving or countdown or signed or not held_before)
    where = f" [{', '.join(f'{k}={v}' for k, v in sorted(best.labels.items()))}]" if best.labels else ""
    detail = f"{service} {best.metric}{where}: {best.before:.4g} → {best.after:.4g} (z={best.score:.1f})"
    healthy_side = expect.startswith(("above:", "below:")) and signal.bad not in ("both", worse_of(expect))
    return CheckOutcome(
        check, True, ok, detail, evidence.anomaly_call, key=f"metric:{wanted}:{expect}", rules_out=healthy_side
    )


def worse_of(expect: str) -> str:
    """The direction a level check on ``expect`` ("above:0.9") calls worse."""
    return "up" if expect.startswith("above:") else "down"


def _serving(service: str, evidence: Evidence) -> bool:
    """Some replica of ``service`` is ready, or nothing says otherwise. A crash-looping service's quiet
    dependencies are the silence of a process that is not running, not a healthy reading."""
    pods = evidence.pods.get(service, [])
    return not pods or any(pod.ready for pod in pods)


def _log(check: Check, service: str, evidence: Evidence) -> CheckOutcome:
    if evidence.spike_call is None:
        return CheckOutcome(check, False, False, "no log analysis", None)
    pattern = re.compile(str(check.log))
    over_reason = refused_over_reason(evidence.log_texts(service))
    for spike in evidence.spikes.get(service, []):
        texts = spike.texts()  # a refusal is read by the reason it gives, not by its bare status
        if any(pattern.search(t) for t in reasons_of(texts, over_reason)):
            return CheckOutcome(
                check,
                True,
                True,
                f"{service} logs: '{texts[-1][:140]}'",
                evidence.spike_call,
                key=f"log:{spike.template}",
            )
    if any(c.service == service and c.family == "credential" for c in evidence.changes):
        # a key it rotated fails where it is presented or checked: in the logs of those that call it
        for source in sorted(c for c, deps in evidence.topology.items() if service in deps and c != service):
            for spike in evidence.spikes.get(source, []):
                texts = spike.texts()
                if any(AUTH_WORDS.search(t) and pattern.search(t) for t in texts):
                    return CheckOutcome(
                        check,
                        True,
                        True,
                        f"{source}, which calls {service}, logs: '{texts[-1][:140]}'",
                        evidence.spike_call,
                        key=f"log:{spike.template}",
                    )
    if service not in evidence.spikes:  # no log of its own (a vendor): it speaks through the callers' logs naming it
        dns = resolvers(evidence, {service, *evidence.services, *evidence.topology})
        for source, spikes in sorted(evidence.spikes.items()):
            for spike in spikes:
                if (
                    spike.error_like
                    and service in accused(spike, source, {service}, dns, evidence.topology)
                    and not any(AUTH_WORDS.search(t) for t in spike.texts())
                    and any(pattern.search(t) for t in spike.texts())
                ):
                    return CheckOutcome(
                        check,
                        True,
                        True,
                        f"{source} logs name {service}: '{spike.texts()[-1][:140]}'",
                        evidence.spike_call,
                        key=f"log:{spike.template}",
                    )
    for event in evidence.events.get(service, []):  # the cluster's log of the service: a kubelet's pull error
        if event.type != "Normal" and pattern.search(f"{event.reason}: {event.message}"):
            return CheckOutcome(
                check,
                True,
                True,
                f"{service} event {event.reason}: '{event.message[:140]}'",
                evidence.event_call,
                key=f"event:{event.reason}:{event.message}",
            )
    return CheckOutcome(check, True, False, f"no matching new log lines for {service}", evidence.spike_call)


def _change(check: Check, service: str, evidence: Evidence, params: Params) -> CheckOutcome:
    if evidence.change_call is None:
        return CheckOutcome(check, False, False, "no change feed", None)
    within = parse_duration(check.within) / 60.0
    late = params.change_after_onset_s / 60.0
    families = CHECK_FAMILIES.get(str(check.change), {str(check.change)})
    reaching = evidence.changes_of(service)
    if families & {"credential", "certificate"}:
        reaching += [c for c in evidence.credentials_of(service) if c not in reaching]
    for link in reaching:
        if link.family not in families and (str(check.change) in CHECK_FAMILIES or link.kind != check.change):
            continue  # a known check kind reads families (a "config" change that rotates a key is a credential)
        is_flag = bool(link.flag) or "flag" in link.kind.lower()
        if check.change in ("flag", "config") and is_flag != (check.change == "flag"):
            continue  # a flag flip is what a flag check looks for; a config check looks for the other changes
        if link.linked or (
            -late <= link.minutes_before_onset <= within
            and (
                link.family != "credential"
                or refused_credentials(evidence.error_texts(service), evidence.log_texts(service))
            )
        ):
            # (a key changed days ago explains only failures about keys)
            return CheckOutcome(
                check, True, True, link.describe(), evidence.change_call, key=f"change:{link.family}:{link.what()}"
            )
    if "job" in families:  # Kubernetes records a job's run itself, where no change feed does
        for event in evidence.events.get(service, []):
            if job_started(event):
                return CheckOutcome(
                    check,
                    True,
                    True,
                    f"{service}: {event.reason}: {event.message[:100]}",
                    evidence.event_call,
                    key=f"change:job:{event.message[:40]}",
                )
    return CheckOutcome(check, True, False, f"no {check.change} change on {service}", evidence.change_call)


def _kubernetes(check: Check, service: str, evidence: Evidence, params: Params) -> CheckOutcome:
    if evidence.pod_call is None and evidence.event_call is None:
        return CheckOutcome(check, False, False, "no Kubernetes source", None)
    wanted = str(check.kubernetes).lower()
    reasons = evidence.k8s_reasons(service)
    if wanted in ("notready", "node_not_ready", "nodenotready"):
        bad_nodes = [n.name for n in evidence.nodes if not n.ready]
        pod_nodes = {p.node for p in evidence.pods.get(service, [])}
        zone = _failed_zone(evidence, pod_nodes)
        if zone:  # not one node: a zone went down with it
            return CheckOutcome(
                check, True, False, f"nodes NotReady across zone {zone}, not a single node", evidence.node_call
            )
        if bad_nodes and (not pod_nodes or pod_nodes & set(bad_nodes)):
            return CheckOutcome(
                check, True, True, f"node {bad_nodes[0]} NotReady", evidence.node_call, key="k8s:notready"
            )
        if _notready_over(service, pod_nodes, evidence, params):
            return CheckOutcome(
                check,
                True,
                False,
                f"the nodes under {service} are Ready now "
                f"({', '.join(sorted(pod_nodes))}) and have been since well before the latest events",
                evidence.node_call,
            )
    if wanted in ("zonenotready", "zone_not_ready"):
        zone = _failed_zone(evidence, {p.node for p in evidence.pods.get(service, [])})
        if zone:
            return CheckOutcome(
                check, True, True, f"nodes NotReady across zone {zone}", evidence.node_call, key="k8s:zone"
            )
        confined = evidence.confined_zone  # nodes Ready, but every failing series is that zone's
        if confined and any(
            zone_of(s.labels) == confined and s.score >= params.anomaly_threshold for s in evidence.series(service)
        ):
            return CheckOutcome(
                check,
                True,
                True,
                f"trouble confined to zone {confined}: {service}'s series there failed, other zones' did not",
                evidence.anomaly_call,
                key="k8s:zone",
            )
        # absence proves little: an impaired zone's nodes often still report Ready
        return CheckOutcome(check, False, False, f"no zone-wide NotReady under {service}", evidence.node_call)
    hit = next((r for r in reasons if wanted in r.lower()), None)
    call = evidence.pod_call or evidence.event_call
    if hit:
        return CheckOutcome(check, True, True, f"{service}: {hit}", call, key=f"k8s:{hit}")
    return CheckOutcome(check, True, False, f"no {check.kubernetes} on {service}", call)


def _notready_over(service: str, pod_nodes: set[str], evidence: Evidence, params: Params) -> bool:
    """A NotReady the events tell of is over: every node the service's pods run on is Ready now, and its
    last NotReady came at least ``alert_window_s`` before the latest event (a node flapping minutes ago is
    not settled; one that came back long before the trouble went on is not the trouble)."""
    if evidence.node_call is None or not pod_nodes or not pod_nodes <= {n.name for n in evidence.nodes if n.ready}:
        return False
    events = [e for events in evidence.events.values() for e in events]
    notready = [
        e.ts
        for e in events
        if e.reason.lower() == "nodenotready"
        and (e.service == service or any(node in f"{e.object} {e.message}" for node in pod_nodes))
    ]
    latest = max((e.ts for e in events), default=0.0)
    return not notready or latest - max(notready) >= params.alert_window_s


def _failed_zone(evidence: Evidence, pod_nodes: set[str]) -> str | None:
    """A zone where at least two nodes are NotReady, hosting some of the service's pods."""
    down: dict[str, set[str]] = {}
    for node in evidence.nodes:
        zone = node.zone or node.labels.get("topology.kubernetes.io/zone", "")
        if zone and not node.ready:
            down.setdefault(zone, set()).add(node.name)
    return next((zone for zone, names in sorted(down.items()) if len(names) >= 2 and names & pod_nodes), None)


def _one(check: Check, service: str, evidence: Evidence, params: Params) -> CheckOutcome:
    if check.kind == "metric":
        return _metric(check, service, evidence, params)
    if check.kind == "log":
        return _log(check, service, evidence)
    if check.kind == "change":
        return _change(check, service, evidence, params)
    return _kubernetes(check, service, evidence, params)


def callers_of(service: str, evidence: Evidence) -> list[str]:
    """Who calls the service: its callers in the call graph; for a service outside the graph (no callers,
    no dependencies: infrastructure every service uses without naming it, like DNS), every other service."""
    calling = sorted(c for c, deps in evidence.topology.items() if service in deps)
    if calling or evidence.topology.get(service):
        return calling
    return sorted(s for s in evidence.services if s != service)


def _of_callers(check: Check, service: str, evidence: Evidence, params: Params) -> CheckOutcome:
    """A check read on the service's callers: confirmed when any caller's own evidence confirms it."""
    calling = callers_of(service, evidence)
    outcomes = [(c, _one(check, c, evidence, params)) for c in calling]
    caller, best = next(((c, o) for c, o in outcomes if o.confirmed), None) or next(
        ((c, o) for c, o in outcomes if o.observed), (None, None)
    )
    if best is None or caller is None:
        return CheckOutcome(check, False, False, f"no caller of {service} to read", None)
    return CheckOutcome(
        check,
        best.observed,
        best.confirmed,
        f"caller {caller}: {best.detail}",
        best.call_id,
        key=f"callers:{best.key}",
        rules_out=best.rules_out,
    )


def evaluate_runbook(runbook: Runbook, service: str, evidence: Evidence, params: Params) -> list[CheckOutcome]:
    """The outcome of each of ``runbook``'s checks for ``service`` (or, ``of: callers``, for its callers)."""
    return [
        _of_callers(c, service, evidence, params) if c.of == "callers" else _one(c, service, evidence, params)
        for c in runbook.checks
    ]
