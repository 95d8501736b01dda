"""Fitting the diagnosis parameters: the fit never does worse than where it started, cross-validation
scores held-out cases, confirmed answers count double and a refuted answer counts against a fit."""

from __future__ import annotations

from typing import Any

from knowledge.documents import Check, Runbook
from tests.support.telemetry import shift
from tools.rca.diagnose import Context
from tools.rca.params import Params
from tools.rca.tuning import Case, cross_validate, evaluate, fit, tunable

CPU = Runbook(
    id="rb-cpu",
    kind="runbook",
    title="cpu",
    category="cpu_saturation",
    services=["*"],
    path="c.md",
    checks=[
        Check(name="throttled", metric="cpu_throttled_ratio", expect="up", weight=3),
        Check(name="latency up", metric="latency_p99_seconds", expect="up", weight=1),
    ],
)
FLAG = Runbook(
    id="rb-flag",
    kind="runbook",
    title="flag",
    category="bad_config",
    services=["*"],
    path="f.md",
    checks=[
        Check(name="flag flipped", change="flag", within="30m", weight=3),
        Check(name="errors up", metric="error_ratio", expect="up", weight=1),
    ],
)


def _case(name: str, flipped: bool, label: str, **extra: Any) -> Case:
    series = [
        shift(name, "cpu_throttled_ratio", 0.02, 0.5, 46.0, kind="cpu"),
        shift(name, "latency_p99_seconds", 0.2, 1.5, 50.0, kind="latency"),
    ]
    calls = [
        {
            "id": "c1",
            "tool": "rank_anomalies",
            "status": "ok",
            "data": [
                {"service": name, "score": 8.0, "raw_score": 50.0, "fault_score": 50.0, "onset": 0.0, "series": series}
            ],
        },
        {
            "id": "c2",
            "tool": "correlate_changes",
            "status": "ok",
            "data": [
                {
                    "service": name,
                    "kind": "flag",
                    "family": "config",
                    "flag": "f",
                    "minutes_before_onset": 2.0,
                    "linked": "the trouble began 2 min after it",
                    "link_strength": 0.9,
                }
            ]
            if flipped
            else [],
        },
    ]
    return Case(
        id=name, calls=calls, context=Context(alerted=[name]), service=name if label else "", category=label, **extra
    )


CASES = [_case(f"s{i}", flipped=i % 2 == 0, label="bad_config" if i % 2 == 0 else "cpu_saturation") for i in range(6)]


def test_every_tunable_is_a_diagnosis_parameter_with_a_range() -> None:
    assert {"link_credit", "unexplained_penalty", "victim_factor"} <= set(tunable())
    assert "dependency_weight" not in tunable(), (
        "series scoring happens in the tools; replayed evidence cannot refit it"
    )


def test_a_fit_never_does_worse_than_its_start() -> None:
    start = Params(link_credit=0.5, unexplained_penalty=0.0)
    before = evaluate(CASES, [CPU, FLAG], start)
    params, after = fit(CASES, [CPU, FLAG], start=start, passes=1, points=3)
    assert after.objective >= before.objective and after.top1 == 1.0
    assert evaluate(CASES, [CPU, FLAG], params).objective == after.objective


def test_cross_validation_scores_held_out_folds() -> None:
    validation = cross_validate(CASES, [CPU, FLAG], k=3, passes=1, points=3)
    assert validation.cv.cases == len(CASES) and len(validation.folds) == 3
    assert 0.0 <= validation.cv.category <= 1.0 and validation.train.top1 == 1.0


def test_confirmed_answers_count_double_and_refuted_ones_against() -> None:
    right = _case("a", flipped=True, label="bad_config", weight=2.0)
    wrong = _case("b", flipped=False, label="cpu_saturation")
    assert evaluate([right, wrong], [CPU, FLAG], Params()).category == 1.0
    refuted = _case("c", flipped=True, label="", refuted=("c", "bad_config"))
    score = evaluate([right, refuted], [CPU, FLAG], Params())
    assert score.category == 1.0 and score.objective == (2 + 2 - 1) / 2, "a refuted answer repeated costs its weight"
