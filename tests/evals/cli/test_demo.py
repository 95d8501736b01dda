"""``andon demo --fault all`` ends with one table of every fault: expected, found, right, recovered, MTTR."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console

from bot.cli.common import demo_store_dir
from evals.cli.demo import fault_summary


def _summary(
    fault: str, expected: tuple[str, str], found: tuple[str, str] | None, recovered: bool | None, mttr: float | None
) -> dict[str, Any]:
    root = {"service": found[0], "category": found[1]} if found else {"service": None, "category": None}
    return {
        "fault": fault,
        "expected": {"service": expected[0], "category": expected[1]},
        "root_cause": root,
        "alert": {"alertname": "X"} if found else None,
        "diagnosed_right": found == expected if found else True,
        "recovered": recovered,
        "mttr_s": mttr,
    }


def test_fault_summary_table() -> None:
    summaries = [
        _summary("bad_deploy", ("payments", "bad_deploy"), ("payments", "bad_deploy"), True, 61.23),
        _summary("cpu_hog", ("inventory", "cpu_saturation"), ("db", "lock_contention"), False, None),
        _summary("noise", ("gateway", "no_fault"), None, True, None),
    ]
    console = Console(record=True, width=140, color_system=None, file=io.StringIO())
    console.print(fault_summary(summaries))
    lines = console.export_text().splitlines()
    header = next(line for line in lines if "fault" in line and "MTTR" in line)
    assert [c.strip() for c in header.strip()[1:-1].split("┃")] == [
        "fault",
        "expected",
        "found",
        "right?",
        "recovered?",
        "MTTR",
    ]

    def row(name: str) -> list[str]:
        return [c.strip() for c in next(line for line in lines if f"│ {name} " in line).strip()[1:-1].split("│")]

    assert row("bad_deploy") == ["bad_deploy", "payments / bad deploy", "payments / bad deploy", "yes", "yes", "61.2 s"]
    assert row("cpu_hog") == ["cpu_hog", "inventory / cpu saturation", "db / lock contention", "no", "no", "—"]
    assert row("noise") == ["noise", "gateway / no fault", "no page", "yes", "yes", "—"]
    assert row("total") == ["total", "", "", "2/3", "2/3", ""]


def test_the_demo_keeps_its_store_in_the_lab(tmp_path: Path) -> None:
    from evals.lab.lab import Lab

    assert demo_store_dir(tmp_path) == Lab(tmp_path).root / "andon"
