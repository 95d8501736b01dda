"""Trouble a caller only passes on from a dependency, read from what metrics alone do not show:

- **echoed errors**: the caller's new error logs repeat a dependency's own new error word for word
  ("canceling statement due to lock timeout" in the database's log and in the API's): the error was
  raised there, the caller only relays it;
- **cache misses**: the caller's cache server stopped answering hits (its hit ratio collapsed); every miss
  goes on to the database behind it, so the caller's pool, latency and load on that database are the
  cache's doing;
- **shipped volume**: a log pipeline (a shipper, a collector or a log store's ingester: Fluent Bit, Fluentd, Vector,
Promtail, Loki…) in
  trouble after other services' log volume rose carries their load: they are recorded as loading it.

- **unresolved names**: a dependency its callers fail to reach because its name does not resolve ("lookup
  api.stripe.com: i/o timeout"), while a DNS server they use is in trouble of its own, is that server's
  victim, not down.

Either way the caller is recorded as propagating from the dependency, unless a change of its own is tied
to its trouble (then it may be the cause, and the relation is left to the timing)."""

from __future__ import annotations

import re

from tools.rca.evidence import Evidence
from tools.rca.params import Params
from tools.rca.roles import role_of
from tools.rca.victims import LOOKUP_FAILED, named_in, resolvers, tied_change

__all__ = ["passed_on", "ECHO_MIN", "LOG_PIPELINE"]

ECHO_MIN = 24
"""Characters of a dependency's error message a caller's log must repeat: shorter runs ("timeout", "ERROR:
connection") are what any failing call says, not that dependency's own error."""
LOG_PIPELINE = re.compile(
    r"(?i)fluent-?bit|fluentd|(^|[-_])vector([-_]|$)|logstash|promtail|filebeat|"
    r"(^|[-_])loki([-_]|$)|log-?(shipper|forwarder|collector|agent|router|ingest\w*)|"
    r"otel-?collector"
)
"""A log pipeline component (a shipper, a collector, a log store's ingester: Loki), by its service name (or
its exporter's metric prefix, below)."""
_PIPELINE_METRICS = re.compile(r"^(fluentbit|fluentd|vector|logstash|promtail|filebeat|loki)_")
_PLACEHOLDER = re.compile(r"<[A-Z*]+>|<\*>")
_HIT_RATIO = re.compile(r"(?i)hit_?ratio|hit_?rate")


def _echoes(caller: str, dependency: str, evidence: Evidence) -> bool:
    theirs = [
        chunk.strip(" :-,;[]()'\"") for text in evidence.error_texts(dependency) for chunk in _PLACEHOLDER.split(text)
    ]
    mine = evidence.error_texts(caller)
    return any(len(chunk) >= ECHO_MIN and any(chunk in text for text in mine) for chunk in theirs)


def _misses(cache: str, evidence: Evidence, params: Params) -> bool:
    record = evidence.services.get(cache)
    return (
        record is not None
        and role_of(cache, evidence) == "cache_failure"
        and any(
            s.service == cache
            and _HIT_RATIO.search(s.metric)
            and s.direction == "down"
            and s.score >= params.anomaly_threshold
            for s in record.series
        )
    )


def _pipeline(service: str, evidence: Evidence) -> bool:
    return bool(LOG_PIPELINE.search(service)) or any(
        _PIPELINE_METRICS.search(s.metric) for s in evidence.series(service) if s.service == service
    )


def _shipped(evidence: Evidence, params: Params) -> None:
    for name, record in evidence.services.items():
        if record.onset is None or record.fault_score < params.anomaly_threshold or not _pipeline(name, evidence):
            continue
        sources = [
            other
            for other, r in evidence.services.items()
            if other != name
            and any(
                s.kind == "logs"
                and s.direction == "up"
                and s.score >= params.anomaly_threshold
                and s.onset <= record.onset + params.propagation_slack_s
                for s in r.series
                if s.service == other
            )
        ]
        record.load_from = sorted({*record.load_from, *sources})
        for source in sources:  # what they write is their own doing, not load the pipeline sent them
            evidence.services[source].load_from = [s for s in evidence.services[source].load_from if s != name]


def _unresolved(evidence: Evidence, params: Params) -> None:
    known = set(evidence.services) | set(evidence.topology)
    troubled = [
        d
        for d in sorted(resolvers(evidence, known))
        if d in evidence.services and evidence.services[d].fault_score >= params.anomaly_threshold
    ]
    if not troubled:
        return
    for source, spikes in evidence.spikes.items():
        lookups = [
            spike for spike in spikes if spike.error_like and any(LOOKUP_FAILED.search(t) for t in spike.texts())
        ]
        for name in sorted({n for spike in lookups for n in named_in(spike, source, known)} - set(troubled)):
            record = evidence.services.get(name)
            if record is None or tied_change(name, evidence, params):
                continue
            record.propagated_from = sorted(
                {*record.propagated_from, *(d for d in troubled if name not in evidence.services[d].propagated_from)}
            )


def passed_on(evidence: Evidence, params: Params) -> None:
    """Record callers that relay a dependency's errors, or send its cache misses on, as propagating from it,
    dependencies whose names do not resolve as propagating from the DNS server in trouble, and log pipelines
    as loaded by the services whose log volume rose."""
    _shipped(evidence, params)
    _unresolved(evidence, params)
    for caller, dependencies in evidence.topology.items():
        record = evidence.services.get(caller)
        if record is None or tied_change(caller, evidence, params):
            continue
        for dependency in dependencies:
            explained = evidence.services.get(dependency)
            if dependency in record.propagated_from or (explained is not None and caller in explained.propagated_from):
                continue  # (a dependency this caller explains cannot explain it back)
            if _echoes(caller, dependency, evidence) or _misses(dependency, evidence, params):
                record.propagated_from.append(dependency)
                if explained is not None:  # its own error, or its own misses: not the caller's load
                    explained.load_from = [s for s in explained.load_from if s != caller]
