"""What a model's hypothesis must stand on before it may count.

A claim names a service, a category, a confidence and the tool-call ids it rests on. It is *supported*
when some cited result mentions the service. A claim outside the rules engine's list must also be
*grounded*: the cited results hold evidence **distinctive** of its category for that service. Concretely,
an observation is distinctive of a category when

1. a check in one of the category's runbooks (``checks:`` in ``knowledge/runbooks/*.md``) confirms it for
   the service, reading only the cited results (a signal that moved the way the check expects, a log line
   its pattern matches, a change of its kind, a Kubernetes status it names), not as a healthy level that
   rules a rival out; and
2. the checks of at most :data:`DISTINCTIVE_SHARE` categories confirm that same observation on the same
   results ("latency rose" confirms a dozen faults and grounds none; "OOMKilled" or "HTTP 429 from the
   vendor" grounds the few that predict it).

Nothing here knows a scenario or a service: it reads the runbooks and the cited results.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from knowledge.documents import Runbook
from knowledge.taxonomy import categories
from tools.rca.checks import CheckOutcome, evaluate_runbook
from tools.rca.evidence import read_evidence
from tools.rca.params import Params

__all__ = ["DISTINCTIVE_SHARE", "Claim", "Ground", "distinctive_evidence", "read_claim"]

DISTINCTIVE_SHARE = 2
"""The most categories whose checks may confirm an observation for it still to be distinctive of each.
Two, because some facts predict a pair of faults alike (a deploy: a bad deploy or a failed canary). On the
visible suite's evidence, 2 grounded the true cause as often as 3 did (56 of 66 scenarios; the other ten
are false alarms, ``no_fault``, which no evidence of a fault grounds) and grounded fewer of all the other
(service, category) pairs (4.2% against 4.9%; 1 grounds only 50 true causes)."""


@dataclass(frozen=True)
class Ground:
    """A distinctive observation: the runbook whose check confirmed it, and the check's outcome."""

    runbook_id: str
    outcome: CheckOutcome


@dataclass
class Claim:
    """A model hypothesis that names a known service and category and cites results mentioning the service."""

    service: str
    category: str
    confidence: float
    cited: list[str]
    summary: str

    @property
    def key(self) -> tuple[str, str]:
        return self.service, self.category


def _mentions(call: dict[str, Any], service: str) -> bool:
    return service in str(call.get("summary", "")) + json.dumps(call.get("data"), default=str)


def read_claim(item: Any, calls: dict[str, dict[str, Any]], services: list[str]) -> Claim | str:
    """The claim in ``item``, or why it is unsupported (a known service and category, a confidence, and a
    cited call whose result mentions the service)."""
    if not isinstance(item, dict):
        return "not a hypothesis object"
    service, category = str(item.get("service", "")), str(item.get("category", ""))
    if service not in services:
        return f"unknown service {service[:40]!r}"
    if category not in categories():
        return f"unknown category {category[:40]!r}"
    try:
        confidence = min(max(float(item.get("confidence", 0.5)), 0.0), 1.0)
    except (TypeError, ValueError):
        return "confidence is not a number"
    raw = item.get("evidence")
    cited = [str(c) for c in raw if str(c) in calls] if isinstance(raw, list) else []
    cited = [c for c in dict.fromkeys(cited) if _mentions(calls[c], service)]
    if not cited:
        return f"no cited result mentions {service}"
    return Claim(service, category, confidence, cited, str(item.get("summary", ""))[:300])


def distinctive_evidence(
    claim: Claim,
    calls: dict[str, dict[str, Any]],
    runbooks: list[Runbook],
    params: Params,
    topology: dict[str, list[str]],
) -> list[Ground]:
    """The observations in the claim's cited results that are distinctive of its category for its service
    (see the module), heaviest check first; empty when the claim is not grounded."""
    evidence = read_evidence([calls[c] for c in claim.cited])
    evidence.topology = topology
    confirmed: list[tuple[Runbook, CheckOutcome]] = []
    sharing: dict[str, set[str]] = {}
    for runbook in runbooks:
        for outcome in evaluate_runbook(runbook, claim.service, evidence, params):
            if outcome.confirmed and not outcome.rules_out and outcome.call_id in claim.cited:
                sharing.setdefault(outcome.key, set()).add(runbook.category)
                confirmed.append((runbook, outcome))
    own = [
        Ground(rb.id, o)
        for rb, o in confirmed
        if rb.category == claim.category and len(sharing[o.key]) <= DISTINCTIVE_SHARE
    ]
    unique = {g.outcome.key: g for g in sorted(own, key=lambda g: -g.outcome.check.weight)}
    return list(unique.values())
