"""Verdicts before any ranking: nothing is wrong (``no_fault``), or Andon cannot tell (inconclusive).

No fault: only synthetic probes from one place moved, while the service serves as before; no strong
fault signal; a lone uncorroborated blip; error ratios that are large only because traffic is tiny; every strong
signal already coming back by itself, no pod in trouble now; or a shape the same hour showed yesterday or last
week (its logs then belong to the recurring episode: they are read only within today's window). Never when the
metrics could not be read: a blind investigation is inconclusive, not healthy.
"""

from __future__ import annotations

import re

from tools.rca.changes import refused_over_reason
from tools.rca.evidence import Evidence
from tools.rca.params import Params
from tools.rca.records import Clue, Finding, Shift
from tools.rca.victims import BAD_K8S, bad_reasons
from tools.rca.vocabulary import classify

__all__ = [
    "no_fault",
    "blind_spots",
    "rollout_restarts",
    "one_vantage",
    "NON_FAULT_KINDS",
    "PROBE_PREFIX",
    "RECURRING_LEADERS",
]

NON_FAULT_KINDS = ("traffic", "io", "capacity")
"""Kinds whose shift is a change of load or volume, not a fault by itself."""
RECURRING_LEADERS = 3
"""A recurring shape needs at least this many of the strongest fault shifts read and repeating."""


def blind_spots(evidence: Evidence) -> list[str]:
    """What could not be read that a verdict would need: the metrics above all."""
    out = [f"{source} ({error})" if error else source for source, error in evidence.unread.items()]
    if evidence.anomaly_call is None and not any("metrics" in s for s in out):
        out.insert(0, "metrics (no series answered)")
    return out


def _pods_in_trouble(evidence: Evidence) -> bool:
    """Some pod is not ready or reports a bad status now (events may tell of a past, absorbed moment)."""
    return any(
        not pod.ready or any(b in r.lower() for r in pod.reasons for b in BAD_K8S)
        for pods in evidence.pods.values()
        for pod in pods
    )


def _strong(evidence: Evidence, params: Params) -> list[tuple[str, Shift]]:
    return [
        (name, s)
        for name, record in evidence.services.items()
        for s in record.series
        if s.score >= params.anomaly_threshold
        and s.kind not in NON_FAULT_KINDS
        and not rollout_restarts(name, s, evidence, params)
    ]


def rollout_restarts(service: str, shift: Shift, evidence: Evidence, params: Params) -> bool:
    """Restarts a deploy explains: the count rose by at most ``rollout_restarts_per_pod`` per pod, a deploy
    of the service came within the step window before (or just after) their onset, and every pod is
    ready now with no bad status. A rolling release restarts each replica once; a crash restarts it
    again and again, or leaves it not ready."""
    if shift.kind != "restarts" or shift.direction != "up":
        return False
    pods = evidence.pods.get(shift.service or service, [])
    if not pods or any(not p.ready or any(b in r.lower() for r in p.reasons for b in BAD_K8S) for p in pods):
        return False
    if shift.after - shift.before > params.rollout_restarts_per_pod * len(pods):
        return False
    return any(
        c.family == "deploy"
        and -params.change_after_onset_s / 60.0 <= c.minutes_before_onset <= params.change_step_window_s / 60.0
        for c in evidence.changes_of(shift.service or service)
    )


SHUTDOWN_WORDS = re.compile(
    r"(?i)shut ?down|shutting down|sigterm|draining|terminat(ing|ed)|graceful|"
    r"connection reset|econnreset|goaway|broken pipe"
)
"""What requests cut off by a pod shutting down look like: a rolling release's old pods going away."""


def _rollout_noise(strong: list[tuple[str, Shift]], evidence: Evidence, params: Params) -> str | None:
    """The service whose rolling release is all the trouble: every strong signal is its own, a deploy of it
    came within the step window, every pod is ready with no restart beyond the rollout's, and its only new
    error lines are requests cut off by old pods shutting down (a bad release fails in its new pods, with
    errors of its own, and keeps failing)."""
    services = {name for name, _ in strong}
    if len(services) != 1 or _pods_in_trouble(evidence):
        return None
    service = next(iter(services))
    if not any(
        c.family == "deploy"
        and -params.change_after_onset_s / 60.0 <= c.minutes_before_onset <= params.change_step_window_s / 60.0
        for c in evidence.changes_of(service)
    ):
        return None
    if any(
        s.kind == "restarts" and not rollout_restarts(service, s, evidence, params)
        for s in evidence.services[service].series
        if s.score >= params.anomaly_threshold
    ):
        return None
    texts = evidence.error_texts(service)
    return service if texts and all(SHUTDOWN_WORDS.search(t) for t in texts) else None


def _recent_change(service: str, evidence: Evidence, params: Params) -> bool:
    """A change that could explain the service's shift: linked to it, or within the step window before it."""
    window = params.change_step_window_s / 60.0
    return any(
        c.linked or -params.change_after_onset_s / 60.0 <= c.minutes_before_onset <= window
        for c in evidence.changes_of(service)
    )


def _failed_requests(service: str, shift: Shift, evidence: Evidence, params: Params) -> float | None:
    """Roughly how many requests an error series' level means over an alert window (None: cannot tell)."""
    name, after = shift.metric, shift.after
    if "per_second" in name or name.endswith("_rate"):
        return after * params.alert_window_s
    if "ratio" not in name or after >= params.down_ratio:
        return None  # a quiet service that mostly fails is down, however few its requests
    owner = shift.service or service
    rates = [
        s.after for s in evidence.series(owner) if s.service == owner and s.kind == "traffic" and "request" in s.metric
    ]
    return after * max(rates) * params.alert_window_s if rates else None


def _low_volume(strong: list[tuple[str, Shift]], evidence: Evidence, params: Params) -> bool:
    """Every strong signal is an error rate that, in absolute numbers, is a handful of failed requests."""
    counts = [_failed_requests(name, s, evidence, params) if s.kind == "errors" else None for name, s in strong]
    return bool(counts) and all(c is not None and c < params.low_volume_errors for c in counts)


CLIENT_ERRORS = re.compile(r"(?i)4xx|(^|_)4\d\d(_|$)|client_?err")
"""Ratios of requests a server refused as the caller's mistake (not found, bad request)."""
CARRIERS = ("cpu", "memory")
"""Resources that carry load: they rise with any traffic."""


def _newcomers_refused(service: str, strong: list[Shift], evidence: Evidence, params: Params) -> bool:
    """The new requests fail on their own and the old ones are served as before: the service's traffic rose,
    every strong fault signal it shows is a client-error ratio whose added failures the added requests
    account for, or a resource with headroom that carried them, and it succeeds at least as often as
    before. So a scanner's or a broken client's requests, refused as not found or bad, are no fault of the
    service; refusals that say they are over rate (a limiter's 429s) are not counted so."""
    own = [s for s in evidence.series(service) if s.service == service and not s.labels.get("upstream")]
    traffic = [s for s in own if s.kind == "traffic" and "request" in s.metric and s.direction == "up"]
    refused = [s for s in strong if CLIENT_ERRORS.search(s.metric) and "ratio" in s.metric and s.direction == "up"]
    if not traffic or not refused or refused_over_reason(evidence.log_texts(service)):
        return False
    load = max(traffic, key=lambda s: s.score)
    added = load.after - load.before
    carried = all(s in refused or (s.kind in CARRIERS and s.after < params.headroom_level) for s in strong)
    return (
        added > 0
        and carried
        and all(
            s.after * load.after - s.before * load.before <= added
            and load.after * (1 - s.after) >= load.before * (1 - s.before)
            for s in refused
        )
    )


def _finding(service: str, why: str, confidence: float, evidence: Evidence, tail: str) -> Finding:
    return Finding(
        service=service,
        category="no_fault",
        confidence=confidence,
        summary=f"No fault found: {why}; {tail}",
        clues=[Clue(call_id=evidence.anomaly_call or "", tool="rank_anomalies", summary=why)],
    )


def _recurring(strong: list[tuple[str, Shift]], evidence: Evidence, repeating: set[str], params: Params) -> bool:
    """Every strong shift whose past was read repeats an earlier day's, and those read include the strongest
    (the weaker ones left unread are taken to belong to the same episode)."""
    compared = {key for key, trend in evidence.trends.items() if trend.compared}
    read = [s for _, s in strong if s.key in compared]
    leading = sorted((s for _, s in strong), key=lambda s: -s.score)[:RECURRING_LEADERS]

    def same_episode(shift: Shift) -> bool:
        """Unread, but its service's read shift that began with it repeats: one episode, one past."""
        return any(
            r.service == shift.service and r.key in repeating and abs(r.onset - shift.onset) <= params.episode_s
            for r in read
        )

    return (
        bool(read)
        and all(s.key in repeating for s in read)
        and all(s.key in compared or same_episode(s) for s in leading)
    )


PROBE_PREFIX = "probe_"
"""Synthetic probes (blackbox_exporter's ``probe_success``, ``probe_duration_seconds``…): a client's view."""


def one_vantage(
    strong: list[tuple[str, Shift]], evidence: Evidence, alerted: str | None, params: Params
) -> tuple[str, str] | None:
    """(label, values) when the alerted service's trouble is only what synthetic probes see from some
    places: its strong series are all probes, every strong series anywhere carries one of those places'
    label values, the same probes from other places were read and did not move, and the service's own
    series (traffic included) did not move either. The probes' paths are in trouble, not the service."""
    own = [s for s in evidence.series(alerted or "") if s.service == alerted]
    its_strong = [s for name, s in strong if name == alerted]
    if not own or not its_strong or not all(s.metric.startswith(PROBE_PREFIX) for s in its_strong):
        return None
    if any(s.score >= params.anomaly_threshold for s in own if not s.metric.startswith(PROBE_PREFIX)):
        return None  # its own traffic, errors or latency moved: users see it too
    for label in strong[0][1].labels:
        if label in ("service", "pod", "instance", "upstream") or not all(s.labels.get(label) for _, s in strong):
            continue
        places = {s.labels[label] for _, s in strong}
        elsewhere = [s for s in own if s.metric.startswith(PROBE_PREFIX) and s.labels.get(label) not in (None, *places)]
        if elsewhere and all(s.score < params.anomaly_threshold for s in elsewhere):
            return label, ", ".join(sorted(places))
    return None


def mismeasured(strong: list[tuple[str, Shift]], evidence: Evidence, params: Params) -> str | None:
    """The one service whose own latency readings are all that moved, while every caller timing its calls
    saw them no slower and no more failing, at a fraction (``timing_gap``) of what the service reports: a
    caller's time includes the server's, so the service's measure changed (histogram buckets, a timer in a
    new place), not the calls."""
    names = {name for name, _ in strong}
    if len(names) != 1:
        return None
    name = names.pop()
    if any(
        s.kind != "latency" or s.labels.get("upstream") or classify(s.metric).dependency or s.service != name
        for _, s in strong
    ):
        return None
    views = [
        s
        for other, record in evidence.services.items()
        if other != name
        for s in record.series
        if s.labels.get("upstream") == name
    ]
    timed = [s for s in views if s.kind == "latency"]
    reported = max(s.after for _, s in strong)
    if (
        not timed
        or any(s.score >= params.anomaly_threshold for s in views)
        or any(s.after * params.timing_gap > reported for s in timed)
    ):
        return None
    return name


def no_fault(evidence: Evidence, alerted: list[str], params: Params, repeating: set[str]) -> Finding | None:
    """The no-fault finding when the evidence shows nothing wrong, else None. ``repeating`` holds the keys
    of series whose shift the same time yesterday or last week also showed."""
    if evidence.anomaly_call is None:
        return None  # the metrics were not read: nothing can be called healthy
    fault_level = max(
        (
            s.score
            for name, r in evidence.services.items()
            for s in r.series
            if s.kind not in NON_FAULT_KINDS and not rollout_restarts(name, s, evidence, params)
        ),
        default=0.0,
    )
    error_logs = any(s.error_like for spikes in evidence.spikes.values() for s in spikes)
    trouble = any(bad_reasons(s, evidence) for s in set(evidence.pods) | set(evidence.events))
    strong = _strong(evidence, params)
    changed = any(_recent_change(name, evidence, params) for name, _ in strong)
    first = alerted[0] if alerted else None
    vantage = one_vantage(strong, evidence, first, params)
    if vantage is not None:  # the service changed or not, its own traffic, errors and latency did not move
        why = (
            f"only what is probed from {vantage[0]}={vantage[1]} moved, for every target probed from there; the "
            f"same probes from elsewhere and {first}'s own traffic, errors and latency did not"
        )
        return _finding(
            first or strong[0][0],
            why,
            params.no_fault_confidence,
            evidence,
            "the probe's path is in trouble, not the service.",
        )
    if not trouble and not changed and _low_volume(strong, evidence, params):
        why = (
            f"the error signals amount to fewer than {params.low_volume_errors:.0f} failed requests per "
            f"{params.alert_window_s / 60:.0f} min: a large ratio of very little traffic"
        )
        return _finding(
            first or strong[0][0],
            why,
            params.no_fault_confidence,
            evidence,
            "likely a false alarm on a ratio threshold.",
        )
    if strong and not changed and not trouble and _recurring(strong, evidence, repeating, params):
        name, shift = strong[0]
        why = (
            f"{shift.metric} of {name} moved as it did at the same time yesterday or last week, and so did "
            f"every other strong signal, with no change or Kubernetes trouble"
        )
        return _finding(first or name, why, params.recurring_confidence, evidence, "a recurring shape, not a fault.")
    strong = [(name, s) for name, s in strong if s.key not in repeating]
    if strong and all(s.recovering for _, s in strong) and not changed and not _pods_in_trouble(evidence):
        name, shift = strong[0]
        why = (
            f"{shift.metric} of {name} moved and every strong signal is already coming back by itself, with no "
            f"change tied to it and no pod in trouble now"
        )
        return _finding(first or name, why, params.no_fault_confidence, evidence, "a transient the system absorbed.")
    rolled = _rollout_noise(strong, evidence, params)
    if rolled:
        why = (
            f"{rolled} rolled out a release just now: its only new errors are connections cut while old pods shut "
            f"down, every pod is ready, and no pod restarted more than the rollout restarts it"
        )
        return _finding(
            first or rolled, why, params.no_fault_confidence, evidence, "a rolling restart's blip, not a bad release."
        )
    measured = mismeasured(strong, evidence, params) if not _pods_in_trouble(evidence) else None
    if measured:
        why = (
            f"only {measured}'s own latency readings moved, while its callers, timing the same calls, saw "
            f"them no slower and no more failing: the measurement changed, not the calls"
        )
        return _finding(
            measured,
            why,
            params.no_fault_confidence,
            evidence,
            "a changed metric (histogram buckets, a timer moved), not a fault.",
        )
    by_service: dict[str, list[Shift]] = {}
    for name, shift in strong:
        by_service.setdefault(name, []).append(shift)
    if (
        by_service
        and not _pods_in_trouble(evidence)
        and all(_newcomers_refused(name, shifts, evidence, params) for name, shifts in by_service.items())
    ):
        name = first if first in by_service else next(iter(by_service))
        why = (
            f"{name}'s traffic rose and the new requests fail on their own: its rise in client errors "
            f"(not found, bad request) is no more than the requests added, it succeeds as often as before, and "
            f"no server error, latency or saturated resource moved"
        )
        return _finding(
            name,
            why,
            params.no_fault_confidence,
            evidence,
            "callers asking for what is not there (a scanner, a misbehaving client), not a fault.",
        )
    if error_logs or trouble:
        return None
    lone = len(strong) == 1 and not _recent_change(strong[0][0], evidence, params)
    fault_level = max((s.score for _, s in strong), default=0.0) if repeating else fault_level
    if fault_level >= params.no_fault_level and not lone:
        return None
    service = first or (evidence.ranked[0] if evidence.ranked else "unknown")
    if lone:
        name, shift = strong[0]
        why = (
            f"only {shift.metric} of {name} moved (z={shift.score:.1f}); no other signal, caller, error log, "
            f"change or Kubernetes event corroborates it"
        )
        return _finding(
            service, why, params.lone_blip_confidence, evidence, "likely a false alarm or a flapping threshold."
        )
    why = f"the strongest fault signal is z={fault_level:.1f} (< {params.no_fault_level}), with no error logs"
    confidence = params.quiet_confidence if fault_level < params.anomaly_threshold else params.no_fault_confidence
    return _finding(service, why, confidence, evidence, "likely a false alarm or a flapping threshold.")
