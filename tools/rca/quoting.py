"""Callers that fail because of a change a service they call made: they quote a name it set, or their
errors name it while its change is firmly tied to its own trouble. Their trouble is that change's doing."""

from __future__ import annotations

from tools.rca.changes import Symptoms, identifiers
from tools.rca.evidence import Evidence
from tools.rca.params import Params
from tools.rca.victims import tied_change

__all__ = ["quoting_callers"]


def quoting_callers(
    evidence: Evidence, symptoms: dict[str, Symptoms], params: Params, named: dict[str, list[str]] | None = None
) -> None:
    """Callers that fail because of a change of a service they call are recorded as propagating from that
    service, and the service as ``quoted_by`` them (it takes their anomaly as its own):
    - callers whose new failures quote a name the change set (a role's connection limit, a key, a
      setting), which ties the change to the trouble if nothing else did;
    - callers whose new error logs name the service (``named``: service -> the callers blaming it), when
      the change is tied to the service's own trouble as firmly as a quote (``named_link_strength``: a
      trend began with it, not mere timing), that trouble is not passed on from elsewhere, and more than
      one caller fails, or one with no tied change of its own: one change explains them all (two services
      crash-looping at start-up on the config server's new 404s).
    A rotated secret or certificate is left out: it is the caller's to present (``credentials_of``), its
    failure the caller's own."""
    named = named or {}
    for link in evidence.changes:
        names = identifiers(f"{link.description} {link.flag}")
        if link.family in ("credential", "certificate"):
            continue
        failing = [
            caller
            for caller, record in evidence.services.items()
            if caller != link.service and record.raw_score >= params.anomaly_threshold
        ]
        calling = {caller for caller, deps in evidence.topology.items() if link.service in deps}
        quoting = sorted(
            caller
            for caller in failing
            if caller in calling and names & symptoms.get(caller, Symptoms(None, [])).failure_names
        )
        blaming = sorted(c for c in failing if c in named.get(link.service, []) and c not in quoting)
        own = evidence.services.get(link.service)
        firmly_its_own = (  # tied to its own trouble as firmly as a quote (a trend began with it), not by timing
            link.link_strength >= params.named_link_strength
            and link.family in ("deploy", "config")
            and not (own is not None and own.propagated_from)
        )
        if not firmly_its_own or (len(blaming) < 2 and all(tied_change(c, evidence, params) for c in blaming)):
            blaming = []
        if not quoting and not blaming:
            continue
        for caller in quoting + blaming:
            record = evidence.services[caller]
            record.propagated_from = sorted({*record.propagated_from, link.service})
        evidence.quoted_by[link.service] = sorted({*evidence.quoted_by.get(link.service, []), *quoting, *blaming})
        if quoting and not link.linked:
            quoted = sorted(names & symptoms[quoting[0]].failure_names)[0]
            link.linked = f"the failures of {', '.join(quoting)} quote {quoted}, which it changed"
            link.link_strength = params.named_link_strength
