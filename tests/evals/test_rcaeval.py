"""RCAEval-layout datasets: the real Nezha / Online Boutique cases from ../shared/datasets."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.rcaeval import accuracy_at, load_case
from tools.analysis.anomaly import rank_services

DATASET = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "nezha-online-boutique"
BARO_AC1, BARO_AC3 = 0.375, 0.583
"""The rcaeval package's BARO on these 24 cases, measured side by side in `andon bench` (see the dataset README)."""


@pytest.fixture(scope="module")
def cases() -> list:  # type: ignore[type-arg]
    if not DATASET.exists():
        pytest.skip(f"dataset {DATASET.name} is absent: it ships in ../shared/datasets (Nezha, IntelligentDDS/Nezha, "
                    "converted to RCAEval layout)")
    return [load_case(p.parent) for p in sorted(DATASET.rglob("data.csv"))]


def test_cases_load_with_labels(cases: list) -> None:  # type: ignore[type-arg]
    assert len(cases) == 24
    assert all(c.service in c.services for c in cases)


def test_ranking_beats_baro_on_the_real_cases(cases: list) -> None:  # type: ignore[type-arg]
    ranks = []
    for case in cases:
        names = [s.service for s in rank_services(case.series, case.inject_time)]
        ranks.append(names.index(case.service) + 1 if case.service in names else None)
    assert accuracy_at(ranks, 1) > BARO_AC1
    assert accuracy_at(ranks, 3) >= BARO_AC3


def test_eval_runner_scores_rcaeval_layout(cases: list, tmp_path: Path) -> None:  # type: ignore[type-arg]
    from bot.settings import load_settings
    from evals.runner import EvalOptions, run_suite

    subset = DATASET / "cartservice_cpu_contention"
    summary = run_suite([subset], EvalOptions(jobs=1), base=load_settings(data_dir=tmp_path))
    assert summary["rcaeval"]["cases"] == 1
    assert summary["per_scenario"][0]["kind"] == "rcaeval"
    assert summary["per_scenario"][0]["service_expected"] == "cartservice"
