"""``andon bench``: measure Andon's speed, scale and accuracy (the ``bench`` package) and report them. The
benchmarks' contribution to ``andon`` is the sub-app ``app``, which the ``andon`` package merges into the root
app; ``python -m bench`` runs the same command alone."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli.common import console, fail

__all__ = ["app", "bench"]


def bench(
    quick: bool = typer.Option(
        False, "--quick", help="fewer, smaller runs, the lab left to the full run (the CI smoke run; under 2 minutes)"
    ),
    json_file: Path | None = typer.Option(
        None,
        "--json",
        metavar="FILE",
        help="write the JSON report here (default: bench/results/latest.json, "
        "or latest-quick.json with --quick); with --only, the rows are "
        "merged by name into the report already there",
    ),
    only: list[str] = typer.Option(
        None,
        "--only",
        metavar="NAME",
        help="run only these benchmarks (repeat, or comma-separate): slack_ack, webhook_ack, "
        "first_answer, eval_throughput, retrieval, rca_ranking, rca_scale, "
        "watch_scan, memory, llm, investigate_cli, charts, lab_mttr",
    ),
    dataset: list[Path] = typer.Option(
        None, "--dataset", metavar="PATH", help="an extra RCAEval-layout dataset for rca_ranking (repeatable)"
    ),
    model: str | None = typer.Option(None, "--model", help="chat model for the llm benchmark (default: ANDON_MODEL)"),
    readme: Path | None = typer.Option(
        None, "--readme", metavar="FILE", help="also write the table into FILE between <!-- bench:start/end --> markers"
    ),
) -> None:
    """Run Andon's benchmarks side by side; print a table, write JSON. Targets are reported as met or
    missed, never asserted: the exit code is 1 only when a benchmark fails to run."""
    from bench.report import markdown, update_readme
    from bench.result import BenchOptions
    from bench.runner import (
        BENCHMARKS,
        LATEST,
        MergeError,
        merge_rows,
        previous_report,
        print_report,
        run_benchmarks,
        write_json,
    )

    names = [n.strip() for item in only or [] for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        fail(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    options = BenchOptions(quick=quick, datasets=tuple(dataset or ()), model=model)
    target = json_file or (LATEST.with_name("latest-quick.json") if quick else LATEST)
    words = ["andon bench"] + (["--quick"] if quick else []) + (["--json", str(json_file)] if json_file else [])
    words += [f"--only {n}" for n in names] + [f"--dataset {d}" for d in dataset or []]
    if names:  # refused now rather than after the run: its rows go into the report already there
        try:
            previous_report(target, quick)
        except MergeError as exc:
            fail(str(exc))
    report = run_benchmarks(options, names or None, progress=lambda name: console.print(f"[dim]running {name}…[/]"))
    print_report(report, console)
    if names:
        try:
            report = merge_rows(target, report, " ".join(words))
        except MergeError as exc:
            fail(str(exc))
        console.print(f"rows merged into {target} by name (the other rows kept; a failed benchmark keeps its old row)")
    write_json(report, target)
    console.print(f"JSON report: {target}")
    if readme:
        update_readme(readme, markdown(report, " ".join(words)))
        console.print(f"table written into {readme}")
    if any(item["verdict"] == "error" for item in report["benchmarks"]):
        raise typer.Exit(1)


app = typer.Typer()
app.command()(bench)
