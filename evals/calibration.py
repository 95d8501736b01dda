"""Calibrate how much a model's ranking counts: pick the weight ``w`` of the blend
``(1 − w)·rules + w·model`` from one ``andon eval --reasoner llm`` run.

Each scenario's report keeps both sides' hypotheses (``trust``), so every ``w`` on a grid can be replayed
without asking the model again. ``w`` is chosen by top-1 accuracy, then category accuracy, and trust is
earned: a weight is a candidate only when it beats the rules engine alone (``w = 0``) on top-1 or category
by more than one standard error of the rules engine's figure on these scenarios, and loses no more than
one on the other (a model that fixes one miss in 66 by luck has shown nothing; one that fixes two top-1
misses while breaking twenty categories has shown the opposite); with no candidate, ``w = 0``. Among the
best candidates that tie, the middle one.
k-fold cross-validation says what to expect on scenarios the choice did not see.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from bot.reasoners.llm.trust import UNCALIBRATED_WEIGHT, Scored, blend

__all__ = ["GRID", "Record", "Figures", "Calibration", "records", "answer", "evaluate", "best_weight", "calibrate"]

GRID = tuple(round(i * 0.05, 2) for i in range(21))
"""The weights tried: 0 (the rules engine alone) to 1 (the model alone) by 0.05."""


@dataclass
class Record:
    """One scenario: the expected answer and both sides' hypotheses (or, when the model's diagnosis
    failed, the answer that was given whatever the weight)."""

    id: str
    service: str
    category: str
    rules: list[Scored] = field(default_factory=list)
    model: list[Scored] = field(default_factory=list)
    fixed: tuple[str, str] | None = None


@dataclass
class Figures:
    top1: float
    category: float
    scenarios: int

    def as_dict(self) -> dict[str, float]:
        return {"top1": round(self.top1, 4), "category": round(self.category, 4), "scenarios": self.scenarios}


@dataclass
class Calibration:
    weight: float
    """``w`` chosen on every scenario: what the profile keeps."""
    train: Figures
    """At ``weight``, on every scenario (the ones it was chosen on)."""
    cv_train: Figures
    """Mean over the folds of the figures on the folds each weight was chosen on."""
    cv: Figures
    """On the held-out folds (cross-validated): what to expect on scenarios not seen."""
    rules: Figures
    """``w = 0``: the rules engine alone."""
    uncalibrated: Figures
    """``w`` = :data:`UNCALIBRATED_WEIGHT`."""
    folds: list[dict[str, Any]] = field(default_factory=list)


def records(per_scenario: list[dict[str, Any]]) -> list[Record]:
    """The scenarios of an eval summary's ``per_scenario`` (RCAEval cases, which name no category, left out)."""
    out = []
    for item in per_scenario:
        if item.get("kind", "scenario") != "scenario":
            continue
        record = Record(str(item["id"]), str(item["service_expected"]), str(item["category_expected"]))
        trust = item.get("trust")
        if trust:
            record.rules = [Scored(str(s), str(c), float(v)) for s, c, v in trust.get("rules", [])]
            record.model = [Scored(str(s), str(c), float(v)) for s, c, v, *_ in trust.get("named", [])]
        else:
            record.fixed = (str(item.get("service_predicted") or ""), str(item.get("category_predicted") or ""))
        out.append(record)
    return out


def answer(record: Record, weight: float) -> tuple[str, str]:
    """The leading (service, category) at ``weight``."""
    if record.fixed is not None:
        return record.fixed
    ranked = blend(record.rules, record.model, weight)
    return (ranked[0].service, ranked[0].category) if ranked else ("", "")


def evaluate(items: list[Record], weight: float) -> Figures:
    """Top-1 (the leading service) and category (the leading category) accuracy, as ``andon eval`` counts them."""
    answers = [answer(r, weight) for r in items]
    n = max(len(items), 1)
    return Figures(
        sum(a[0] == r.service for a, r in zip(answers, items, strict=True)) / n,
        sum(a[1] == r.category for a, r in zip(answers, items, strict=True)) / n,
        len(items),
    )


def _noise(accuracy: float, n: int) -> float:
    """One standard error of an accuracy measured on ``n`` scenarios: √(a(1 − a)/n)."""
    return math.sqrt(accuracy * (1.0 - accuracy) / max(n, 1))


def _earns(figures: Figures, base: Figures) -> bool:
    """Better than the rules engine alone by more than noise on one measure, and worse by no more than noise
    on the other: top-1 or category up by more than one standard error of the rules engine's own figure,
    neither down by more than one. (Top-1 can rise by the two scenarios a lucky model fixes while category
    falls by twenty: that weight does not count as better.)"""
    top1_noise, category_noise = _noise(base.top1, base.scenarios), _noise(base.category, base.scenarios)
    top1_gain, category_gain = figures.top1 - base.top1, figures.category - base.category
    holds = top1_gain >= -top1_noise - 1e-9 and category_gain >= -category_noise - 1e-9
    return holds and (top1_gain > top1_noise + 1e-9 or category_gain > category_noise + 1e-9)


def best_weight(items: list[Record], grid: tuple[float, ...] = GRID) -> tuple[float, Figures]:
    """The weight with the best top-1, then category accuracy, among those that beat the rules engine alone
    (the grid's smallest weight, 0) by more than noise (:func:`_earns`); none does: the smallest weight.
    Among the best that tie, the middle one (the lower of two middles): as far as the scenarios allow from
    where accuracy drops on either side, rather than at the edge of what they happened to test."""
    scored = [(w, evaluate(items, w)) for w in sorted(grid)]
    earning = [(w, f) for w, f in scored[1:] if _earns(f, scored[0][1])]
    if not earning:
        return scored[0]
    top = max((round(f.top1, 9), round(f.category, 9)) for _, f in earning)
    tied = [(w, f) for w, f in earning if (round(f.top1, 9), round(f.category, 9)) == top]
    return tied[(len(tied) - 1) // 2]


def calibrate(items: list[Record], k: int = 5, seed: int = 0, grid: tuple[float, ...] = GRID) -> Calibration:
    """Choose ``w`` on all of ``items``, and estimate by k-fold cross-validation how well that choosing does."""
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    k = max(min(k, len(items)), 1)
    folds = [[items[i] for i in order[f::k]] for f in range(k)]
    held_top1 = held_category = train_top1 = train_category = 0.0
    detail = []
    for index, held in enumerate(folds):
        training = [r for f, fold in enumerate(folds) if f != index for r in fold] or held
        weight, fitted = best_weight(training, grid)
        test = evaluate(held, weight)
        held_top1 += test.top1 * len(held)
        held_category += test.category * len(held)
        train_top1 += fitted.top1
        train_category += fitted.category
        detail.append({"fold": index + 1, "weight": weight, "train": fitted.as_dict(), "held_out": test.as_dict()})
    n = max(sum(len(f) for f in folds), 1)
    weight, train = best_weight(items, grid)
    return Calibration(
        weight=weight,
        train=train,
        cv_train=Figures(train_top1 / k, train_category / k, len(items)),
        cv=Figures(held_top1 / n, held_category / n, n),
        rules=evaluate(items, 0.0),
        uncalibrated=evaluate(items, UNCALIBRATED_WEIGHT),
        folds=detail,
    )
