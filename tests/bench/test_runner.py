"""The runner: ``--quick`` stays a smoke run (under two minutes on two cores) by leaving the lab to the full run,
while still reporting it, and runs it when it is named; a run of some benchmarks (``--only``) merges its rows
into the report already written, by name, without dropping the others."""

from __future__ import annotations

import json
from pathlib import Path

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


def _report(quick: bool, *rows: tuple[str, str], date: str = "2026-12-01T00:00:00+00:00") -> dict[str, object]:
    return {
        "date": date,
        "quick": quick,
        "hardware": {"cores": 2},
        "seconds": 10.0,
        "benchmarks": [
            {"name": name, "title": name, "headline": headline, "verdict": "error" if headline == "boom" else "met"}
            for name, headline in rows
        ],
    }


def test_a_run_of_some_benchmarks_merges_its_rows_into_the_report(tmp_path: Path) -> None:
    latest = tmp_path / "latest.json"
    runner.write_json(
        _report(False, ("slack_ack", "old ack"), ("memory", "old memory"), ("lab_mttr", "old lab")), latest
    )
    alone = _report(False, ("charts", "first chart 0.4 s"), ("memory", "new memory"), date="2026-12-04T23:00:00+00:00")

    merged = runner.merge_rows(latest, alone, "andon bench --only charts --only memory")

    assert [(b["name"], b["headline"]) for b in merged["benchmarks"]] == [
        ("slack_ack", "old ack"),
        ("memory", "new memory"),
        ("charts", "first chart 0.4 s"),
        ("lab_mttr", "old lab"),
    ]
    assert merged["date"] == "2026-12-01T00:00:00+00:00", "the header stays the full run's"
    assert merged["reruns"][-1] == {
        "benchmark": "charts, memory",
        "command": "andon bench --only charts --only memory",
        "date": "2026-12-04T23:00:00+00:00",
        "reason": "run alone; its rows merged by name into this report",
    }
    failed = runner.merge_rows(latest, _report(False, ("memory", "boom")), "andon bench --only memory")
    assert [b["headline"] for b in failed["benchmarks"]] == ["old ack", "old memory", "old lab"]
    assert runner.merge_rows(tmp_path / "none.json", alone, "x") is alone


def test_rows_are_not_merged_into_a_report_of_the_other_kind(tmp_path: Path) -> None:
    latest = tmp_path / "latest.json"
    runner.write_json(_report(False, ("memory", "old memory")), latest)
    with pytest.raises(runner.MergeError, match="holds a full run: a --quick run's rows are not merged"):
        runner.merge_rows(latest, _report(True, ("memory", "quick memory")), "andon bench --quick --only memory")
    latest.write_text("not json")
    with pytest.raises(runner.MergeError, match="is not a bench report"):
        runner.previous_report(latest, quick=False)


def test_bench_only_keeps_the_other_rows_of_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``andon bench --only NAME --json FILE`` end to end, with a stand-in benchmark."""
    from typer.testing import CliRunner

    from andon.main import app

    monkeypatch.setattr(runner, "BENCHMARKS", {"slack_ack": _ran, lab_mttr.NAME: _ran})
    latest = tmp_path / "latest.json"
    runner.write_json(_report(False, ("slack_ack", "old ack")), latest)
    result = CliRunner().invoke(app, ["bench", "--only", lab_mttr.NAME, "--json", str(latest)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = json.loads(latest.read_text())["benchmarks"]
    assert [(b["name"], b.get("measured")) for b in rows] == [("slack_ack", None), (lab_mttr.NAME, "ran")]
    refused = CliRunner().invoke(app, ["bench", "--quick", "--only", lab_mttr.NAME, "--json", str(latest)])
    assert refused.exit_code == 2 and "not merged" in refused.output
