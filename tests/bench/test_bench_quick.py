"""The benchmark harness stays runnable: ``--quick`` runs every benchmark (servers on loopback, a fake Slack,
small data) and reports each with its measurement, hardware, runs and target. No timing is asserted —
benchmarks report, CI does not time them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.report import END, START, markdown, update_readme
from bench.result import BenchOptions
from bench.runner import BENCHMARKS, run_benchmarks, write_json

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIELDS = ("name", "title", "measured", "hardware", "runs", "target", "met", "skipped", "verdict", "seconds")


def test_quick_bench_reports_every_benchmark(tmp_path: Path) -> None:
    report = run_benchmarks(BenchOptions(quick=True))
    out = tmp_path / "bench.json"
    write_json(report, out)
    loaded = json.loads(out.read_text())

    assert loaded["quick"] is True and loaded["hardware"]["cores"] >= 1 and loaded["hardware"]["python"]
    assert [b["name"] for b in loaded["benchmarks"]] == list(BENCHMARKS)
    for item in loaded["benchmarks"]:
        missing = [f for f in FIELDS if f not in item]
        assert not missing, f"{item['name']} lacks {missing}"
        assert item["error"] is None, f"{item['name']} failed: {item['error']} {item['notes']}"
        assert item["hardware"]["cpu"] and item["hardware"]["cores"] >= 1
        if item["skipped"]:
            assert item["met"] is None
            continue
        assert item["measured"] and item["target"] and item["headline"] and item["runs"] >= 1
        assert isinstance(item["met"], bool) or item["target"].startswith("none"), item["name"]

    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nbefore\n{START}\nthe-previous-table\n{END}\nafter\n")
    update_readme(readme, markdown(loaded, "andon bench --quick"))
    text = readme.read_text()
    assert text.startswith("# x\n\nbefore\n") and text.endswith(f"{END}\nafter\n")
    assert "the-previous-table" not in text
    assert "| Slack ack latency under load |" in text and "| Lab MTTR" in text and "andon bench --quick" in text
