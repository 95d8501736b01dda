"""Fit the engine's diagnosis parameters to labelled cases, with k-fold cross-validation.

A case is an investigation's evidence (its tool results, replayed) with the answer: a scenario's expected
root cause, an incident someone resolved, or feedback on an incident (confirmed answers count double, an
answer refuted by feedback counts against any fit that gives it again). The evidence is gathered once;
each trial only re-runs the diagnosis, so only parameters the diagnosis reads are fitted (those declared
with a ``tune`` range). The search is a coordinate search over each range's grid, a few passes, keeping a
change only when the objective improves: simple, deterministic, and hard to overfit much further than
the folds show.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from knowledge.documents import Runbook
from tools.rca.diagnose import Context, diagnose
from tools.rca.evidence import read_evidence
from tools.rca.params import Params

__all__ = ["Case", "Score", "evaluate", "fit", "cross_validate", "tunable"]


@dataclass
class Case:
    id: str
    calls: list[dict[str, Any]]
    context: Context
    service: str
    category: str
    """"" for a case that names only the service (an RCAEval case)."""
    weight: float = 1.0
    """Confirmed answers (feedback "helpful") count double."""
    refuted: tuple[str, str] | None = None
    """(service, category) a human said was wrong: a fit that names it again loses."""
    outcomes: dict[Any, Any] = field(default_factory=dict, repr=False)
    """Check outcomes cached across trials: fitted parameters never change them."""


@dataclass
class Score:
    top1: float
    category: float
    objective: float
    cases: int

    def as_dict(self) -> dict[str, float]:
        return {"top1": round(self.top1, 4), "category": round(self.category, 4), "cases": self.cases}


def tunable() -> dict[str, tuple[float, float]]:
    """The parameters the diagnosis reads that may be fitted, with their ranges."""
    return {f.name: f.metadata["tune"] for f in fields(Params) if f.metadata.get("tune")}


def _answer(case: Case, runbooks: list[Runbook], params: Params) -> tuple[str, str]:
    findings = diagnose(read_evidence(case.calls), runbooks, case.context, params, case.outcomes)
    return (findings[0].service, findings[0].category) if findings else ("", "")


def evaluate(cases: list[Case], runbooks: list[Runbook], params: Params) -> Score:
    """Weighted top-1 and category accuracy; the objective is their sum, less refuted answers repeated."""
    total = sum(c.weight for c in cases if c.service) or 1.0  # a refuted answer with no correction only penalises
    labelled = sum(c.weight for c in cases if c.service and c.category) or 1.0  # RCAEval cases name no category
    top1 = category = penalty = 0.0
    for case in cases:
        service, named = _answer(case, runbooks, params)
        if case.service:
            top1 += case.weight * (service == case.service)
            category += case.weight * (service == case.service and named == case.category) if case.category else 0.0
        if case.refuted and (service, named) == case.refuted:
            penalty += case.weight
    return Score(top1 / total, category / labelled, top1 / total + category / labelled - penalty / total, len(cases))


def _grid(low: float, high: float, current: float, points: int) -> list[float]:
    values = {round(low + (high - low) * i / (points - 1), 4) for i in range(points)} | {current}
    return sorted(values)


def fit(
    cases: list[Case],
    runbooks: list[Runbook],
    start: Params | None = None,
    passes: int = 2,
    points: int = 5,
    progress: Callable[[str], None] | None = None,
) -> tuple[Params, Score]:
    """The parameters that maximise the objective on ``cases`` (coordinate search from ``start``)."""
    best = start or Params()
    best_score = evaluate(cases, runbooks, best)
    for _ in range(passes):
        improved = False
        for name, (low, high) in tunable().items():
            current = getattr(best, name)
            for value in _grid(low, high, float(current), points):
                if value == current:
                    continue
                trial = replace(best, **{name: type(current)(value)})
                score = evaluate(cases, runbooks, trial)
                if score.objective > best_score.objective + 1e-9:
                    best, best_score, current, improved = trial, score, value, True
            if progress:
                progress(f"{name} = {getattr(best, name)} (objective {best_score.objective:.3f})")
        if not improved:
            break
    return best, best_score


@dataclass
class Validation:
    train: Score
    cv: Score
    folds: list[dict[str, Any]] = field(default_factory=list)


def cross_validate(
    cases: list[Case],
    runbooks: list[Runbook],
    k: int = 5,
    seed: int = 0,
    passes: int = 2,
    points: int = 5,
    progress: Callable[[str], None] | None = None,
) -> Validation:
    """Fit on k-1 folds, score the held-out one, for each fold; ``train`` is the mean score on the folds fitted."""
    order = list(range(len(cases)))
    random.Random(seed).shuffle(order)
    folds = [[cases[i] for i in order[f::k]] for f in range(k)] if len(cases) >= k else [cases]
    held_top1 = held_cat = held_n = 0.0
    train_top1 = train_cat = 0.0
    report = []
    for index, held in enumerate(folds):
        training = [c for f, fold in enumerate(folds) if f != index for c in fold] or held
        params, train = fit(training, runbooks, passes=passes, points=points)
        test = evaluate(held, runbooks, params)
        held_top1 += test.top1 * len(held)
        held_cat += test.category * len(held)
        held_n += len(held)
        train_top1 += train.top1
        train_cat += train.category
        report.append({"fold": index + 1, "train": train.as_dict(), "held_out": test.as_dict()})
        if progress:
            progress(f"fold {index + 1}/{len(folds)}: train top-1 {train.top1:.3f}, held-out top-1 {test.top1:.3f}")
    n = len(folds)
    return Validation(
        train=Score(train_top1 / n, train_cat / n, 0.0, len(cases)),
        cv=Score(held_top1 / max(held_n, 1), held_cat / max(held_n, 1), 0.0, int(held_n)),
        folds=report,
    )
