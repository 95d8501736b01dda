"""The whole scenario suite through the real graph with the rules reasoner, gated on its scores
(the same thresholds CI uses); plus the JSON summary's shape and the reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.settings import load_settings
from evals.report import diff_baseline, html_report, markdown_report
from evals.runner import EvalOptions, run_suite

# Issue 15's bar, just under the last measurement (top-1 0.97, top-3 1.0, category 0.92, no unsafe
# action); CI fails on a regression below them.
MIN_TOP1, MIN_TOP3, MIN_CATEGORY, MAX_UNSAFE = 0.95, 0.97, 0.92, 0


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_suite([], EvalOptions(jobs=2), base=load_settings(data_dir=tmp_path_factory.mktemp("eval")))


def test_suite_meets_thresholds_with_no_unsafe_action(summary: dict[str, Any]) -> None:
    assert summary["errors"] == 0, [s["error"] for s in summary["per_scenario"] if s["error"]]
    assert summary["unsafe_actions"] <= MAX_UNSAFE, [s["id"] for s in summary["per_scenario"] if s["unsafe_actions"]]
    assert summary["top1_accuracy"] >= MIN_TOP1
    assert summary["top3_accuracy"] >= MIN_TOP3
    assert summary["category_accuracy"] >= MIN_CATEGORY


def test_summary_shape(summary: dict[str, Any]) -> None:
    for key in (
        "scenarios",
        "top1_accuracy",
        "top3_accuracy",
        "category_accuracy",
        "unsafe_actions",
        "retrieval_hit_rate",
        "duration_s",
        "per_scenario",
    ):
        assert key in summary
    first = summary["per_scenario"][0]
    assert {"id", "service_predicted", "service_expected", "category_predicted", "category_expected", "passed"} <= set(
        first
    )


def test_reports_and_baseline_diff(summary: dict[str, Any], tmp_path: Path) -> None:
    baseline = {**summary, "per_scenario": [{**s, "passed": True} for s in summary["per_scenario"]]}
    diff = diff_baseline(summary, baseline)
    failed = [s["id"] for s in summary["per_scenario"] if not s["passed"]]
    assert diff["regressions"] == failed
    text = markdown_report(summary, baseline)
    assert "Per category" in text and (not failed or "(regression)" in text)
    if failed:
        assert text.index("## Failures") < text.index(f"### {failed[0]}"), "failures are listed in their section"
    assert html_report(summary).startswith("<!doctype html>")


SEALED = Path(__file__).resolve().parents[2] / "evals" / "sealed"
# The sealed suite (written blind, never tuned on), just under its last measurement: 205 scenarios after
# round s21 (2026-12-05; top-1 0.932, category 0.868, action precision 0.767, action coverage 0.838, no unsafe
# action). First runs: s14 top-1 0.92, category 0.92; s15 0.75 / 0.67; s16 0.92 / 0.67 (2 unsafe); s17 (on
# the engine after s16's work) 0.92 / 0.75 (2 unsafe); s18 (after s17's) 0.58 / 0.58; s19 (after s18's)
# 0.67 / 0.42 (1 unsafe); s20 (after s19's) 0.83 / 0.50 (1 unsafe); s21 (after s20's) 0.58 / 0.33 (3 unsafe).
# The 193 scenarios of s1–s20 score as before. Issue 15 asks 0.92 / 0.85 / 0.7 / 0.8: the gate holds what is
# measured, so CI fails on a regression.
SEALED_MIN_TOP1, SEALED_MIN_CATEGORY, SEALED_MIN_PRECISION, SEALED_MIN_COVERAGE, SEALED_MAX_UNSAFE = (
    0.93,
    0.86,
    0.76,
    0.83,
    0,
)


def test_the_sealed_suite_holds_its_last_measurement(tmp_path: Path) -> None:
    sealed = run_suite([SEALED], EvalOptions(jobs=2), base=load_settings(data_dir=tmp_path))
    assert sealed["scenarios"] >= 30 and sealed["errors"] == 0
    assert sealed["top1_accuracy"] >= SEALED_MIN_TOP1, sealed["top1_accuracy"]
    assert sealed["category_accuracy"] >= SEALED_MIN_CATEGORY, sealed["category_accuracy"]
    assert sealed["action_precision"] >= SEALED_MIN_PRECISION, sealed["action_precision"]
    assert sealed["action_coverage"] >= SEALED_MIN_COVERAGE, sealed["action_coverage"]
    assert sealed["unsafe_actions"] <= SEALED_MAX_UNSAFE, [
        s["id"] for s in sealed["per_scenario"] if s["unsafe_actions"]
    ]
