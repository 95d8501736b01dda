"""Which side of a call a fault is named on (``side`` in categories.yaml): a client-side fault on the
caller whose calls fail, a server-side one on the server its clients reject, a fault suffered from a
dependency never on the caller that sends that dependency's load."""

from __future__ import annotations

from typing import Any

from knowledge.taxonomy import sides
from tools.rca.evidence import Evidence
from tools.rca.explain import Fit
from tools.rca.load import callers
from tools.rca.params import Params
from tools.rca.vocabulary import classify

__all__ = ["name_by_side", "classify_calls"]


def _calls_fail(service: str, evidence: Evidence, params: Params) -> bool:
    """Some of the service's own calls to others fail (it is a client in trouble, not only a server)."""
    record = evidence.services.get(service)
    return any(
        s.service == service
        and s.kind == "errors"
        and classify_calls(s)
        and s.score >= params.anomaly_threshold * params.dependency_weight
        for s in (record.series if record else [])
    )


def _own_certificate_expired(service: str, evidence: Evidence) -> bool:
    """A certificate of the service's own (its series, not a caller's view of it) has no time left: the one
    that expired is the one it holds, whether it serves it or presents it to a server as a client."""
    record = evidence.services.get(service)
    return any(
        s.service == service and classify(s.metric).name == "cert_expiry_seconds" and s.after <= 0
        for s in (record.series if record else [])
    )


def classify_calls(shift: Any) -> bool:
    return bool(shift.labels.get("upstream") or shift.labels.get("dependency")) or classify(shift.metric).dependency


def name_by_side(
    all_fits: dict[str, dict[str, Fit]], evidence: Evidence, topology: dict[str, list[str]], params: Params
) -> None:
    """A client-side fault (``side: client``: stale credentials, being throttled) belongs to the service
    whose calls fail, not to a server that only logs the refusals: when a caller of a service whose own
    calls do not fail fits the same client-side fault, the service's fit for it counts ``off_scope_factor``.
    A server-side fault (``side: server``: an expired certificate) belongs to the server: when a service it
    calls fits it, its own fit counts ``off_scope_factor``, unless a certificate of its own has expired.
    A fault suffered from a dependency (``side: callee``: its outage, a slow link) is not the caller's that
    the telemetry names as sending, of its own making, the load behind that dependency's trouble
    (``Evidence.senders``): its fit counts ``off_scope_factor`` too."""
    calling = callers(topology)
    senders = evidence.senders
    for service, fits in all_fits.items():
        for category, fit in fits.items():
            side = sides().get(category)
            if side == "callee" and service in senders:
                fit.score = round(fit.score * params.off_scope_factor, 4)
                continue
            if side == "client" and not _calls_fail(service, evidence, params):
                others = calling.get(service, [])  # its callers are the clients
            elif side == "server" and not _own_certificate_expired(service, evidence):
                others = topology.get(service, [])  # what it calls are the servers
            else:
                continue
            rivals = [all_fits[c][category].score for c in others if c in all_fits and category in all_fits[c]]
            if rivals and max(rivals) >= params.client_side_share * fit.score:
                fit.score = round(fit.score * params.off_scope_factor, 4)
