"""The runner: ``--quick`` stays a smoke run (under two minutes on two cores) by leaving the lab to the full run,
while still reporting it, and runs it when it is named."""

from __future__ import annotations

import pytest

from bench import lab_mttr, runner
from bench.result import BenchOptions, Result


def _ran(options: BenchOptions) -> Result:
    return Result(name=lab_mttr.NAME, title=lab_mttr.TITLE, measured="ran", target="none (reported)", runs=1)


def test_quick_leaves_the_lab_to_the_full_run_unless_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "BENCHMARKS", {lab_mttr.NAME: _ran})
    [quick] = runner.run_benchmarks(BenchOptions(quick=True))["benchmarks"]
    assert quick["verdict"] == "skipped" and "full run" in quick["skipped"] and quick["title"].startswith("Lab MTTR")
    [named] = runner.run_benchmarks(BenchOptions(quick=True), only=[lab_mttr.NAME])["benchmarks"]
    assert named["measured"] == "ran"
    [full] = runner.run_benchmarks(BenchOptions())["benchmarks"]
    assert full["measured"] == "ran"
