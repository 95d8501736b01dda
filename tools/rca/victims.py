"""Who is a victim: second opinions on the anomaly ranking's relations, from evidence metrics do not carry.

The metric ranking records a service whose incoming load rose as loaded by its callers. A service with
its own specific trouble (new error logs of its own, Kubernetes failures) is not merely loaded: the
relation is dropped, and the callers it explains are recorded as propagating from it. Error logs that
name another service are evidence about that service ("cache get failed node=redis-2").
"""

from __future__ import annotations

import re
from dataclasses import replace

from tools.rca.changes import AUTH_WORDS
from tools.rca.evidence import Evidence
from tools.rca.load import amplifies, became_active
from tools.rca.nesting import parts_of
from tools.rca.params import Params
from tools.rca.records import LogSpike, ServiceRecord
from tools.rca.roles import role_of
from tools.rca.scope import zone_of
from tools.rca.services import OWN_CREDENTIAL, rescore
from tools.rca.vocabulary import CLIENT_LABELS, FAULT_KINDS, SHARE_KINDS

__all__ = [
    "reconcile_load",
    "load_named",
    "name_the_level",
    "noisy_neighbours",
    "named_upstreams",
    "mentions",
    "named_in",
    "accused",
    "resolvers",
    "LOOKUP_FAILED",
    "refused",
    "HIT_DIRECTLY",
    "BAD_K8S",
]

BAD_K8S = (
    "oomkilled",
    "crashloopbackoff",
    "backoff",
    "error",
    "evicted",
    "unhealthy",
    "failedscheduling",
    "nodenotready",
    "nodelost",
    "failed",
    "killing",
    "expired",
)
"""Pod and event reasons that mean trouble."""
THROTTLED = re.compile(r"(?i)\b429\b|too many requests|rate[ _-]?limit|throttl|quota exceeded")
"""What being throttled by a dependency looks like in a caller's logs."""
LOOKUP_FAILED = re.compile(
    r"(?i)temporary failure in name resolution|eai_again|servfail|server misbehaving|"
    r"(lookup|resolving) \S+( on \S+:53)?: i/o timeout|:53: (i/o timeout|read: connection refused)"
)
"""A name lookup the resolver did not answer (it timed out, failed, refused): it names the host looked up, which
is not at fault. An answer that the name does not exist ("no such host", NXDOMAIN) is not one: a headless
service whose pods are gone has no name."""
HIT_DIRECTLY = ("nodelost", "nodenotready", "failedscheduling", "evicted", "oomkilled")
"""Pod trouble no dependency causes: the node under it went away, or its own memory ran out."""


def bad_reasons(service: str, evidence: Evidence) -> list[str]:
    return [r for r in evidence.k8s_reasons(service) if any(b in r.lower() for b in BAD_K8S)]


def hit_directly(reasons: list[str]) -> bool:
    return any(word in reason.lower() for reason in reasons for word in HIT_DIRECTLY)


LOAD_SYMPTOMS = re.compile(
    r"(?i)time(d)?[ _-]?out|too many (connections|clients|requests)|connection slots|"
    r"slow|duration:|canceling statement|waiting|queue (is )?full|rejecting|overload|busy"
)
"""Errors that more load than a service can take produces by itself: no trouble of its own."""


def _own_trouble(service: str, evidence: Evidence) -> bool:
    """New error logs of its own (not what too much load makes any service say), or Kubernetes trouble of
    its pods."""
    new_errors = any(
        s.error_like and s.new and not any(LOAD_SYMPTOMS.search(t) for t in s.texts())
        for s in evidence.spikes.get(service, [])
    )
    return new_errors or bool(evidence.k8s_reasons(service))


def _callers_of(service: str, topology: dict[str, list[str]]) -> set[str]:
    out: set[str] = set()
    stack = [service]
    while stack:
        current = stack.pop()
        for caller, deps in topology.items():
            if current in deps and caller not in out:
                out.add(caller)
                stack.append(caller)
    return out


def refused(service: str, evidence: Evidence) -> bool:
    """The service's own error logs say its calls are refused for its credentials (401, expired key…)."""
    return any(
        spike.error_like and any(AUTH_WORDS.search(t) for t in spike.texts())
        for spike in evidence.spikes.get(service, [])
    )


def reconcile_load(evidence: Evidence, topology: dict[str, list[str]], params: Params) -> None:
    """A loaded service with trouble of its own is a cause: it loses its load relation, and its anomalous
    callers that turned anomalous no earlier than it did are recorded as propagating from it. A caller
    whose calls are refused for its credentials is no victim of the dependency that refuses them: that
    dependency is answering; the caller's credential is the trouble."""
    for record in evidence.services.values():
        if record.propagated_from and refused(record.service, evidence):
            record.propagated_from = []
    for service, record in evidence.services.items():
        if not record.load_from or not _own_trouble(service, evidence):
            continue
        amplifiers = [
            c for c in record.load_from if c in evidence.services and amplifies(evidence.services[c], service, params)
        ]
        if amplifiers:  # load a caller multiplied itself strains the service, whatever else it has
            record.load_from = amplifiers
            for amplifier in (evidence.services[c] for c in amplifiers):
                amplifier.propagated_from = [s for s in amplifier.propagated_from if s != service]
            continue
        record.load_from = []
        for caller in _callers_of(service, topology):
            other = evidence.services.get(caller)
            if other is None or other.propagated_from or other.fault_score < params.anomaly_threshold:
                continue
            if (
                record.onset is not None
                and other.onset is not None
                and other.onset + params.propagation_slack_s < record.onset
            ):
                continue
            other.propagated_from = [service]


def load_named(evidence: Evidence, params: Params) -> None:
    """Load whose sender the telemetry names is that sender's: a server's own series split per client (a
    database's connections by application_name, a mesh's requests by source_workload) whose share rose, or
    a caller whose calls or connection set-ups to it multiplied while the traffic it serves did not
    (:func:`amplifies`), which is then no victim of it. A client of the first kind that waits on the server
    is skipped: it holds more only because its calls take longer. The server is recorded as loaded by the
    senders, and the senders on the evidence."""
    known = set(evidence.services) | set(evidence.topology)
    for name, record in evidence.services.items():
        if record.fault_score < params.anomaly_threshold:
            continue
        senders = {
            client
            for s in record.series
            if s.service == name
            and s.kind in SHARE_KINDS
            and s.direction == "up"
            and s.score >= params.anomaly_threshold * params.load_rise_share
            for client in [next((s.labels[k] for k in CLIENT_LABELS if s.labels.get(k)), "")]
            if client in known and client != name and not _waits_on(client, name, evidence, params)
        }
        amplifiers = {
            caller for caller, other in evidence.services.items() if caller != name and amplifies(other, name, params)
        }
        for caller in amplifiers:  # no victim of the service it overloads
            sender = evidence.services[caller]
            sender.propagated_from = [s for s in sender.propagated_from if s != name]
        senders |= amplifiers
        record.load_from = sorted({*record.load_from, *senders})
        evidence.senders |= senders


def _waits_on(client: str, server: str, evidence: Evidence, params: Params) -> bool:
    """The client's trouble is the server's: it is recorded as propagating from it, or its calls to it
    slowed or failed while no more of them were made."""
    record = evidence.services.get(client)
    if record is None:
        return False
    if server in record.propagated_from:
        return True
    toward = [s for s in record.series if s.service == client and s.labels.get("upstream") == server]
    more = any(s.kind == "traffic" and s.direction == "up" and s.score >= params.anomaly_threshold for s in toward)
    return not more and any(
        s.kind in ("latency", "errors") and s.direction == "up" and s.score >= params.anomaly_threshold for s in toward
    )


def _nodes(service: str, evidence: Evidence, params: Params, anomalous: bool) -> set[str]:
    """The nodes a service runs on (its pods), or, with ``anomalous``, the nodes of its series that moved
    when it has per-node series (else all its nodes)."""
    record = evidence.services.get(service)
    moved = {
        s.labels["node"]
        for s in (record.series if record else [])
        if s.labels.get("node") and s.service == service and (not anomalous or s.score >= params.anomaly_threshold)
    }
    return moved or {pod.node for pod in evidence.pods.get(service, []) if pod.node}


def noisy_neighbours(evidence: Evidence, params: Params) -> None:
    """A service that started working (idle before, busy after) on a node explains the trouble of other
    services' pods on that node that began no earlier: they share its CPU, memory and disk (their errors
    are what starving looks like). Those services are recorded as loaded by it."""
    started = [r for r in evidence.services.values() if became_active(r, params) and r.onset is not None]
    for record in evidence.services.values():
        if record.fault_score < params.anomaly_threshold or record.onset is None:
            continue
        hit = _nodes(record.service, evidence, params, anomalous=True)
        for job in started:
            if (
                job.service != record.service
                and job.onset is not None
                and job.onset <= record.onset + params.propagation_slack_s
                and hit & _nodes(job.service, evidence, params, anomalous=False)
                and job.service not in record.load_from
            ):
                record.load_from.append(job.service)


def _own_cause(service: str, evidence: Evidence, params: Params) -> bool:
    """Something of the service's own could explain its trouble: a change tied to it, or its own pools or
    workers saturated (a caller that ran out of connections blames the service it waits for)."""
    record = evidence.services.get(service)
    saturated = any(
        s.kind == "saturation" and s.score >= params.anomaly_threshold
        for s in (record.series if record else [])
        if s.service == service
    )
    return saturated or tied_change(service, evidence, params)


def tied_change(service: str, evidence: Evidence, params: Params) -> bool:
    return any(c.link_strength >= params.own_cause_link for c in evidence.changes_of(service))


def name_the_level(evidence: Evidence, params: Params) -> None:
    """One anomaly seen at a whole and at its part (``nesting.py``) is named at the part, unless only the
    whole has evidence of its own: a change tied to it, its own error logs or pod trouble (a function's
    memory setting changed; the alias that points at it has nothing of its own)."""

    def own(service: str) -> bool:
        return _own_trouble(service, evidence) or tied_change(service, evidence, params)

    for whole_name, whole in evidence.services.items():
        for part_name in parts_of([whole_name, *whole.propagated_from]).get(whole_name, []):
            part = evidence.services.get(part_name)
            if part is not None and own(whole_name) and not own(part_name):
                whole.propagated_from = [s for s in whole.propagated_from if s != part_name]
                part.propagated_from = sorted({*part.propagated_from, whole_name})


def named_upstreams(evidence: Evidence, named: dict[str, list[str]], params: Params) -> None:
    """A caller whose new error logs name a service it calls, whose own calls to that service got worse,
    and that has no cause of its own (a tied change, its own pools saturated), is looking at that service:
    its worsened calls count for the service (as the metric ranking counts them when two callers agree),
    and the caller is recorded as propagating from it. Calls made from a zone all the trouble is confined
    to fail because of the zone, and name no one."""
    zone = evidence.confined_zone
    for upstream, sources in named.items():
        for caller in sources:
            record = evidence.services.get(caller)
            calls = [
                s
                for s in (record.series if record else [])
                if s.service == caller
                and s.labels.get("upstream") == upstream
                and s.kind in FAULT_KINDS
                and not OWN_CREDENTIAL.search(s.metric)  # its own certificate is its own, whoever it is for
                and s.score >= params.anomaly_threshold * params.dependency_weight
                and not (zone and zone_of(s.labels) == zone)
            ]
            explained = evidence.services.get(upstream)
            if (
                record is None
                or not calls
                or _own_cause(caller, evidence, params)
                or (explained is not None and caller in explained.propagated_from)
                or (explained is not None and caller in explained.load_from and caller in evidence.senders)
            ):
                continue  # (an upstream this caller explains, or overloads itself, cannot explain it back)
            if upstream not in record.propagated_from:
                record.propagated_from.append(upstream)
            target = evidence.services.setdefault(upstream, ServiceRecord(service=upstream))
            if upstream not in evidence.ranked:
                evidence.ranked.append(upstream)
            seen = {s.key for s in target.series}
            target.series += [
                replace(s, score=round(min(s.score / params.dependency_weight, params.z_cap), 2))
                for s in calls
                if s.key not in seen
            ]
            rescore(target, params)


_WRAPPER_SUFFIX = re.compile(r"-(saas|vendor|external|ext|cloud|svc|service)$")
"""What a service's name adds to what its callers call it: ``featurestore-saas`` is "featurestore" in logs."""
_STEM_MIN = 5
"""A shorter stem ("auth", "web") is too common a word to stand for the service."""


def _name_patterns(name: str) -> list[str]:
    """How a log line names the service: its name (followed by anything: "orders-db-7f9c" is its pod), or
    that name without a wrapper's suffix, as a word of its own."""
    name = name.lower()
    patterns = [rf"(?<![\w-]){re.escape(name)}"]
    stem = _WRAPPER_SUFFIX.sub("", name)
    if stem != name and len(stem) >= _STEM_MIN:
        patterns.append(rf"(?<![\w-]){re.escape(stem)}(?![\w-])")
    return patterns


def named_in(spike: LogSpike, source: str, known: set[str]) -> list[str]:
    """The services other than ``source`` that a log template (or its examples) names, by their name or by
    it without a wrapper's suffix."""
    text = " ".join(spike.texts()).lower()
    return [
        name
        for name in sorted(known)
        if name and name != source and any(re.search(pattern, text) for pattern in _name_patterns(name))
    ]


def resolvers(evidence: Evidence, known: set[str]) -> set[str]:
    """The DNS servers among ``known`` (``role`` in categories.yaml)."""
    return {s for s in known if role_of(s, evidence) == "dns_failure"}


def accused(spike: LogSpike, source: str, known: set[str], dns: set[str], topology: dict[str, list[str]]) -> list[str]:
    """The services other than ``source`` that an error line of ``source`` is about: those it names. A failed
    name lookup names the host looked up but is about name resolution: the DNS servers ``source`` calls (any
    of ``dns`` when the topology does not say), and nobody else when ``source`` is one (its failing lookups
    are its own)."""
    if any(LOOKUP_FAILED.search(t) for t in spike.texts()):
        if source in dns:
            return []
        return sorted([d for d in topology.get(source, []) if d in dns] or dns)
    return named_in(spike, source, known)


def mentions(evidence: Evidence, known: set[str]) -> dict[str, list[str]]:
    """service -> the other services whose new error logs blame it (``accused``)."""
    out: dict[str, list[str]] = {}
    dns = resolvers(evidence, known)
    for source, spikes in evidence.spikes.items():
        for spike in spikes:
            if not spike.error_like or any(AUTH_WORDS.search(t) or THROTTLED.search(t) for t in spike.texts()):
                continue  # a refusal (bad credentials, throttling) names who refused, not who is at fault
            for name in accused(spike, source, known, dns, evidence.topology):
                out.setdefault(name, [])
                if source not in out[name]:
                    out[name].append(source)
    return out
