"""Choosing the model's weight ``w`` from one eval run: every weight on the grid replayed from the recorded
hypotheses, chosen by top-1 then category accuracy then the smaller weight, with k-fold cross-validation."""

from __future__ import annotations

from typing import Any

from bot.reasoners.llm.trust import UNCALIBRATED_WEIGHT, Scored
from evals.calibration import GRID, Record, answer, best_weight, calibrate, evaluate, records


def _scenario(i: int, rules_right: bool, model_right: bool, margin: float = 0.3) -> Record:
    """Truth (svc{i}, bad_deploy); the rules engine leads with it or with a rival by ``margin``; the model
    names the truth or the rival."""
    truth, rival = Scored(f"svc{i}", "bad_deploy", 0.0), Scored(f"other{i}", "cpu_saturation", 0.0)
    first, second = (truth, rival) if rules_right else (rival, truth)
    rules = [Scored(first.service, first.category, 0.8), Scored(second.service, second.category, 0.8 - margin)]
    named = truth if model_right else rival
    return Record(f"s{i}", f"svc{i}", "bad_deploy", rules, [Scored(named.service, named.category, 0.85)])


def test_a_model_that_is_always_right_earns_the_weight_that_fixes_the_rules_engines_misses() -> None:
    items = [_scenario(i, rules_right=i % 4 != 0, model_right=True) for i in range(20)]
    assert evaluate(items, 0.0).top1 == 0.75
    weight, figures = best_weight(items)
    assert figures.top1 == 1.0 and figures.category == 1.0
    # 0.85·w > 0.3·(1 − w) from w = 0.3 on: the middle of 0.3 … 1.0
    assert weight == 0.65 and evaluate(items, 0.25).top1 == 0.75 and evaluate(items, 0.3).top1 == 1.0
    result = calibrate(items, k=5)
    assert result.weight == weight and result.cv.top1 == 1.0 and result.rules.top1 == 0.75


def test_a_model_that_only_agrees_gets_no_weight() -> None:
    items = [_scenario(i, rules_right=True, model_right=True) for i in range(10)]
    assert best_weight(items)[0] == 0.0


def test_a_model_that_is_always_wrong_gets_no_weight() -> None:
    items = [_scenario(i, rules_right=i % 4 != 0, model_right=False) for i in range(20)]
    result = calibrate(items, k=5)
    assert result.weight == 0.0 and result.train.top1 == 0.75 == result.cv.top1
    assert all(fold["weight"] == 0.0 for fold in result.folds)


def test_a_top1_gain_that_costs_categories_earns_nothing() -> None:
    """A weak model that happened to be right on the rules engine's one top-1 miss, and names the wrong
    category on the right service in a third of the others: one scenario up, twenty down."""
    items = [_scenario(0, rules_right=False, model_right=True, margin=0.05)]
    for i in range(1, 66):
        truth = Scored(f"svc{i}", "bad_deploy", 0.8)
        rules = [truth, Scored(f"svc{i}", "cpu_saturation", 0.75), Scored(f"other{i}", "cpu_saturation", 0.2)]
        named = Scored(f"svc{i}", "cpu_saturation" if i <= 20 else "bad_deploy", 0.85)
        items.append(Record(f"s{i}", f"svc{i}", "bad_deploy", rules, [named]))
    assert evaluate(items, 0.3).top1 > evaluate(items, 0.0).top1
    assert evaluate(items, 0.3).category < evaluate(items, 0.0).category - 0.25
    assert best_weight(items)[0] == 0.0


def test_cross_validation_shows_what_the_training_figure_hides() -> None:
    """Half the folds' choices fit noise: the held-out figure is lower than the training one."""
    items = [
        _scenario(i, rules_right=i % 2 == 0, model_right=i % 3 == 0, margin=0.05 + 0.04 * (i % 5)) for i in range(30)
    ]
    result = calibrate(items, k=5)
    assert result.cv.top1 <= result.cv_train.top1
    assert len(result.folds) == 5 and sum(f["held_out"]["scenarios"] for f in result.folds) == 30
    assert result.uncalibrated == evaluate(items, UNCALIBRATED_WEIGHT)


def test_records_come_from_the_eval_summary() -> None:
    per_scenario: list[dict[str, Any]] = [
        {
            "id": "a",
            "kind": "scenario",
            "service_expected": "checkout",
            "category_expected": "bad_deploy",
            "service_predicted": "payments",
            "category_predicted": "bad_deploy",
            "trust": {
                "weight": 0.09,
                "rules": [["payments", "bad_deploy", 0.7], ["checkout", "bad_deploy", 0.6]],
                "named": [["checkout", "bad_deploy", 0.9, False]],
            },
        },
        {
            "id": "b",
            "kind": "scenario",
            "service_expected": "orders",
            "category_expected": "disk_full",
            "service_predicted": "orders",
            "category_predicted": "disk_full",
            "trust": None,
        },
        {
            "id": "rcaeval-1",
            "kind": "rcaeval",
            "service_expected": "x",
            "category_expected": "",
            "service_predicted": "x",
            "category_predicted": None,
        },
    ]
    a, b = records(per_scenario)
    assert answer(a, 0.0) == ("payments", "bad_deploy") and answer(a, 0.15) == ("checkout", "bad_deploy")
    assert b.fixed == ("orders", "disk_full") and all(answer(b, w) == b.fixed for w in GRID)


def test_calibrate_measures_a_model_only() -> None:
    from typer.testing import CliRunner

    from andon.main import app

    result = CliRunner().invoke(app, ["eval", "--calibrate"])
    assert result.exit_code == 2 and "use it with --reasoner llm" in result.output
