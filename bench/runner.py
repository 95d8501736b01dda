"""Run the selected benchmarks in order, print the table, write the JSON."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import (
    charts,
    cli_wall,
    edge_abuse,
    eval_throughput,
    first_answer,
    lab_mttr,
    llm_efficiency,
    memory,
    rca_ranking,
    rca_scale,
    retrieval_scale,
    slack_ack,
    watch_scan,
    webhook_ack,
)
from bench.result import BenchOptions, Result
from bench.system import hardware

__all__ = [
    "BENCHMARKS",
    "LATEST",
    "run_benchmarks",
    "render_table",
    "print_report",
    "write_json",
    "merge_rows",
    "previous_report",
    "MergeError",
]

BENCHMARKS: dict[str, Callable[[BenchOptions], Result]] = {
    slack_ack.NAME: slack_ack.run,
    webhook_ack.NAME: webhook_ack.run,
    edge_abuse.NAME: edge_abuse.run,
    first_answer.NAME: first_answer.run,
    eval_throughput.NAME: eval_throughput.run,
    retrieval_scale.NAME: retrieval_scale.run,
    rca_ranking.NAME: rca_ranking.run,
    rca_scale.NAME: rca_scale.run,
    watch_scan.NAME: watch_scan.run,
    memory.NAME: memory.run,
    llm_efficiency.NAME: llm_efficiency.run,
    cli_wall.NAME: cli_wall.run,
    charts.NAME: charts.run,
    lab_mttr.NAME: lab_mttr.run,
}
"""Every benchmark, in the order they run and are reported."""
LEFT_TO_THE_FULL_RUN = {
    edge_abuse.NAME: (
        "Edge abuse: serving-process memory",
        "left to the full run: 2,000 idle connections and "
        "endless bodies take half a minute even for one round (`andon bench --quick --only "
        "edge_abuse` runs one)",
    ),
    lab_mttr.NAME: (
        lab_mttr.TITLE,
        "left to the full run: the lab takes minutes even for one fault "
        "(`andon bench --quick --only lab_mttr` runs one)",
    ),
}
"""What ``--quick`` reports as skipped unless named with ``--only`` (title, why), so the smoke run stays under
two minutes on two cores."""
LATEST = Path(__file__).parent / "results" / "latest.json"
_STYLE = {"met": "green", "missed": "red", "error": "red", "skipped": "yellow", "reported": "cyan"}


def _one(name: str, options: BenchOptions) -> Result:
    started = time.perf_counter()
    try:
        result = BENCHMARKS[name](options)
    except Exception as exc:  # a broken benchmark is reported, and the others still run
        result = Result(
            name=name,
            title=name,
            measured="(failed before it measured)",
            target="",
            runs=0,
            error=f"{type(exc).__name__}: {exc}",
            notes=traceback.format_exc().splitlines()[-6:],
        )
    result.hardware = hardware()
    result.seconds = round(time.perf_counter() - started, 1)
    return result


def run_benchmarks(
    options: BenchOptions, only: list[str] | None = None, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Run ``only`` (default: all) and return the report: hardware, settings and one entry per benchmark."""
    names = only or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise ValueError(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="andon-bench-") as workdir:
        run_options = replace(options, workdir=Path(workdir))
        for name in names:
            if options.quick and not only and name in LEFT_TO_THE_FULL_RUN:
                title, why = LEFT_TO_THE_FULL_RUN[name]
                results.append(
                    Result(name=name, title=title, measured="", target="", runs=0, skipped=why, hardware=hardware())
                )
                continue
            if progress:
                progress(name)
            results.append(_one(name, run_options))
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": options.quick,
        "hardware": hardware(),
        "seconds": round(time.perf_counter() - started, 1),
        "benchmarks": [r.to_dict() for r in results],
    }


def render_table(report: dict[str, Any]) -> Table:
    hw = report["hardware"]
    table = Table(
        title=f"Andon bench{' (--quick)' if report['quick'] else ''} — {hw['cores']} cores, {hw['cpu']}, "
        f"Python {hw['python']}, {report['seconds']:.0f} s",
        show_lines=True,
    )
    for column in ("benchmark", "result", "target", "verdict", "runs", "time"):
        table.add_column(column, overflow="fold")
    for item in report["benchmarks"]:
        verdict = item["verdict"]
        detail = item["headline"] or item.get("skipped") or item.get("error") or ""
        table.add_row(
            item["title"],
            detail,
            item["target"],
            f"[{_STYLE[verdict]}]{verdict}[/]",
            str(item["runs"]),
            f"{item['seconds']:.0f} s",
        )
    return table


def write_json(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")


class MergeError(ValueError):
    """A run's rows cannot go into that report (a --quick run's into a full run's, or the file is no report)."""


def previous_report(path: Path, quick: bool) -> dict[str, Any] | None:
    """The report already in ``path`` (None when there is none), if a run with ``quick`` may merge into it."""
    if not path.exists():
        return None
    try:
        previous: dict[str, Any] = json.loads(path.read_text())
        if not all(isinstance(item["name"], str) for item in previous["benchmarks"]):
            raise TypeError("a row without a name")
    except (ValueError, KeyError, TypeError) as exc:
        raise MergeError(f"{path} is not a bench report ({exc}); choose another --json FILE") from exc
    if bool(previous.get("quick")) != quick:
        kinds = ("a --quick run", "a full run")
        raise MergeError(
            f"{path} holds {kinds[not previous.get('quick')]}: {kinds[not quick]}'s rows are not "
            "merged into it; choose another --json FILE"
        )
    return previous


def merge_rows(path: Path, report: dict[str, Any], command: str) -> dict[str, Any]:
    """The report in ``path`` with the rows of ``report`` (a run of some benchmarks, ``--only``) in place of its
    rows of the same name, the others kept, in :data:`BENCHMARKS`' order, and the run noted under ``reruns``; a
    benchmark that failed to run keeps its earlier row.
    The header (date, hardware, seconds) stays the earlier run's: each row carries its own. ``report`` itself
    when ``path`` holds no report yet."""
    previous = previous_report(path, bool(report["quick"]))
    if previous is None:
        return report
    measured = [item for item in report["benchmarks"] if item["verdict"] != "error"]  # a failure keeps the old row
    if not measured:
        return previous
    rows = {item["name"]: item for item in previous["benchmarks"]} | {item["name"]: item for item in measured}
    order = {name: index for index, name in enumerate(BENCHMARKS)}
    rerun = {
        "benchmark": ", ".join(item["name"] for item in measured),
        "command": command,
        "date": report["date"],
        "reason": "run alone; its rows merged by name into this report",
    }
    return previous | {
        "benchmarks": sorted(rows.values(), key=lambda item: order.get(item["name"], len(order))),
        "reruns": [*(previous.get("reruns") or []), rerun],
    }


def print_report(report: dict[str, Any], console: Console | None = None) -> None:
    (console or Console()).print(render_table(report))
