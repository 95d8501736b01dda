"""The runner: worker processes score exactly as one process does; a broken scenario is a failed result."""

from __future__ import annotations

from pathlib import Path

from bot.settings import load_settings
from evals.runner import EvalOptions, default_suite, run_suite


def test_worker_processes_score_like_one_process(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "scenario.yaml").write_text("title: no trigger\n")
    chosen = sorted(default_suite().iterdir())[:3] + [broken]
    serial = run_suite(chosen, EvalOptions(jobs=1), base=load_settings(data_dir=tmp_path / "one"))
    parallel = run_suite(chosen, EvalOptions(jobs=2), base=load_settings(data_dir=tmp_path / "two"))
    keys = ("id", "service_predicted", "category_predicted", "passed", "error")
    assert [{k: s[k] for k in keys} for s in serial["per_scenario"]] == [
        {k: s[k] for k in keys} for s in parallel["per_scenario"]
    ]
    assert serial["errors"] == 1 and next(s for s in serial["per_scenario"] if s["id"] == "broken")["error"]
