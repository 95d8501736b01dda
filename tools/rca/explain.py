"""Which fault explains the evidence: hypotheses (a fault on a service) scored by how much of what was
observed they explain.

For each candidate service, every runbook's checks are run; what they confirm are the observations
(a signal that moved, a log template, a change, a Kubernetes status). An observation that confirms many
faults ("latency rose") says little; one that confirms one fault ("CrashLoopBackOff", "flag flipped")
says much. A fault earns the observations its own checks confirm, and — when it has distinctive evidence
of its own (a check its runbook weighs as defining) — those of the faults it causes (``causes`` in
knowledge/categories.yaml), at ``link_credit`` (``hop_credit`` less for each further link):
a flag that made logging explode explains the full disk. It pays for observations it leaves
unexplained, for checks the evidence contradicts, and a little for checks that could not be read. So a
symptom-level fault wins only when no cause explains it better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from knowledge.documents import Runbook
from knowledge.taxonomy import consequence_hops, scopes
from tools.rca.checks import CheckOutcome, evaluate_runbook
from tools.rca.evidence import Evidence
from tools.rca.params import Params
from tools.rca.records import Clue
from tools.rca.scope import scope_factor
from tools.rca.vocabulary import classify

__all__ = ["Fit", "Outcomes", "category_fits"]


@dataclass
class Fit:
    """How well one fault (category) explains one service's evidence, through its best runbook."""

    category: str
    score: float
    runbook: Runbook | None = None
    outcomes: list[CheckOutcome] = field(default_factory=list)
    explained: list[CheckOutcome] = field(default_factory=list)
    """Observations of the faults it causes, which it explains too."""
    effects: frozenset[str] = frozenset()
    """The faults it causes whose observations it explains."""

    def clues(self) -> list[Clue]:
        out = [
            Clue(o.call_id or "", "runbook_check", f"✓ {o.check.name}: {o.detail}", weight=o.check.weight)
            for o in self.outcomes
            if o.confirmed
        ]
        out += [
            Clue(o.call_id or "", "runbook_check", f"✓ explains {o.check.name}: {o.detail}", weight=o.check.weight)
            for o in self.explained[:3]
        ]
        out += [
            Clue(
                o.call_id or "", "runbook_check", f"✗ {o.check.name}: {o.detail}", supports=False, weight=o.check.weight
            )
            for o in self.outcomes
            if o.observed and not o.confirmed
        ][:2]
        return out


def _neutral(outcome: CheckOutcome, kinds: frozenset[str]) -> bool:
    return outcome.check.kind == "metric" and classify(str(outcome.check.metric)).kind in kinds


def _fact_weight(outcome: CheckOutcome, params: Params) -> float:
    """A status Kubernetes reports or a recorded change is a fact about the failure mode; a metric shift or
    a log pattern is an observation that several faults share."""
    factor = {"kubernetes": params.fact_weight_kubernetes, "change": params.fact_weight_change}
    return outcome.check.weight * factor.get(outcome.check.kind, 1.0)


Outcomes = dict[tuple[str, str], list[CheckOutcome]]
"""Check outcomes by (service, runbook id): the same evidence always gives the same outcomes."""


def category_fits(
    runbooks: list[Runbook],
    service: str,
    evidence: Evidence,
    params: Params,
    neutral: frozenset[str] = frozenset(),
    outcomes: Outcomes | None = None,
    nodes: set[str] | None = None,
) -> dict[str, Fit]:
    """category -> the fit of its best runbook for ``service``, scored abductively (see the module).
    Checks on signals of a ``neutral`` kind are left out: every hypothesis explains them alike (a traffic
    rise that the service's own callers' retries brought is no sign of a surge). ``outcomes`` caches the
    checks' outcomes when the same evidence is scored again (``andon tune``)."""
    cache: Outcomes = {} if outcomes is None else outcomes

    def run(rb: Runbook) -> list[CheckOutcome]:
        key = (service, rb.id)
        if key not in cache:
            cache[key] = evaluate_runbook(rb, service, evidence, params)
        return cache[key]

    evaluated = [(rb, [o for o in run(rb) if not _neutral(o, neutral)]) for rb in runbooks if rb.category != "no_fault"]
    sharing: dict[str, set[str]] = {}
    for rb, results in evaluated:
        for outcome in results:
            if outcome.confirmed:
                sharing.setdefault(outcome.key, set()).add(rb.category)
    specific: dict[str, float] = {}
    by_category: dict[str, dict[str, CheckOutcome]] = {}
    for rb, results in evaluated:
        for outcome in results:
            if outcome.confirmed:
                value = _fact_weight(outcome, params) / math.sqrt(len(sharing[outcome.key]))
                specific[outcome.key] = max(specific.get(outcome.key, 0.0), value)
                by_category.setdefault(rb.category, {}).setdefault(outcome.key, outcome)
    effects, scope = consequence_hops(), scopes()
    fits: dict[str, Fit] = {}
    for rb, results in evaluated:
        fit = _fit(rb, service, results, specific, by_category, effects.get(rb.category, {}), params)
        fit.score = round(fit.score * scope_factor(scope.get(rb.category), nodes, params), 4)
        if fit.score > fits.get(rb.category, Fit(rb.category, -1.0)).score:
            fits[rb.category] = fit
    return fits


def _fit(
    runbook: Runbook,
    service: str,
    outcomes: list[CheckOutcome],
    specific: dict[str, float],
    by_category: dict[str, dict[str, CheckOutcome]],
    effects: dict[str, int],
    params: Params,
) -> Fit:
    own = {o.key: o for o in outcomes if o.confirmed}
    caused: dict[str, CheckOutcome] = {}
    credit: dict[str, float] = {}  # link_credit per causal link between the cause and the effect it explains
    for category, hops in effects.items():
        for key, o in by_category.get(category, {}).items():
            # an effect's rule-outs are no symptom to explain, and a recorded change is nobody's effect: a
            # full disk crashes processes, but it does not explain the release that went out before it
            if key not in own and not o.rules_out and o.check.kind != "change":
                caused[key] = o
                credit[key] = max(credit.get(key, 0.0), params.link_credit * params.hop_credit ** (hops - 1))
    claimed = frozenset(c for c in effects if any(key in caused for key in by_category.get(c, {})))
    defining = any(o.check.weight >= params.defining_weight and key not in caused for key, o in own.items())
    if not defining:
        caused, claimed = (
            {},
            frozenset(),
        )  # a cause without its own defining evidence cannot claim its effects' evidence
    support = sum(specific[key] for key in own) + sum(credit[key] * specific[key] for key in caused)
    # a cause seen acting through one of its effects need not show its other usual symptoms: those are
    # alternatives (a bad config raises errors, or CPU, or log volume), open rather than refuted
    optional = bool(caused)
    refuted = [
        o
        for o in outcomes
        if o.observed
        and not o.confirmed
        and not o.check.later
        and not (optional and o.check.weight < params.defining_weight)
    ]
    against = sum(o.check.weight for o in refuted)
    # a later consequence that was looked for and is not there yet is no evidence either way
    unknown = sum(
        o.check.weight for o in outcomes if not o.confirmed and o not in refuted and not (o.observed and o.check.later)
    )
    unexplained = sum(value for key, value in specific.items() if key not in own and key not in caused)
    total = support + against + params.unknown_weight * unknown + params.unexplained_penalty * unexplained
    share = support / total if total > 0 else 0.0
    score = share * (1.0 - math.exp(-support / params.fit_saturation))
    if "*" not in runbook.services and service not in runbook.services:
        score *= params.off_service_factor
    return Fit(
        runbook.category,
        round(score, 4),
        runbook,
        outcomes,
        sorted(caused.values(), key=lambda o: -o.check.weight),
        claimed,
    )
