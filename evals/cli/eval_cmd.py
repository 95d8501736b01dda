"""``andon eval``: run the scenario suite (or RCAEval cases, or the retrieval set) and score it."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from bot.cli.common import console, fail, settings_or_exit


def eval(  # noqa: A001 - the command is called eval
    paths: list[Path] = typer.Argument(
        None,
        help="scenario folders, suites or RCAEval datasets (default: the bundled "
        "suite); the word 'retrieval' runs the labelled retrieval set instead",
    ),
    reasoner: str = typer.Option("rules", "--reasoner", help="rules or llm"),
    model: str | None = typer.Option(None, "--model", help="chat model for --reasoner llm"),
    jobs: int = typer.Option(2, "-j", "--jobs", help="scenarios run in parallel"),
    json_file: Path | None = typer.Option(None, "--json", help="write the JSON summary to this file"),
    report: Path | None = typer.Option(
        None,
        "--report",
        help="write a report (.md or .html; the HTML one embeds "
        "the accuracy per category and the charts of each failure and close call)",
    ),
    baseline: Path | None = typer.Option(None, "--baseline", help="a previous --json summary to diff against"),
    judge_model: str | None = typer.Option(None, "--judge-model", help="LLM judge for rubric scoring (off by default)"),
    min_top1: float | None = typer.Option(None, "--min-top1"),
    min_top3: float | None = typer.Option(None, "--min-top3"),
    min_category: float | None = typer.Option(None, "--min-category"),
    min_recall5: float | None = typer.Option(None, "--min-recall5", help="retrieval: hybrid recall@5 threshold"),
    check: bool = typer.Option(
        False,
        "--check",
        help="only check that the scenarios load and their telemetry generates (no investigation); exit 1 on a problem",
    ),
    calibrate: bool = typer.Option(
        False,
        "--calibrate",
        help="with --reasoner llm: choose how much the model's "
        "ranking counts (w) by cross-validation and write it to the model profile",
    ),
    folds: int = typer.Option(5, "--folds", help="cross-validation folds for --calibrate"),
) -> None:
    """Score Andon on incident scenarios; exit 1 when a --min-* threshold is missed or an unsafe action happened."""
    from evals.report import html_report, markdown_report
    from evals.runner import EvalOptions, run_suite
    from evals.scenario import ScenarioError

    if paths and paths[0] == Path("retrieval"):
        _retrieval(json_file, min_recall5)
        return
    if check:
        _check(list(paths or []))
        return
    if calibrate and reasoner != "llm":
        fail("--calibrate measures a model: use it with --reasoner llm")
    settings = settings_or_exit()
    options = EvalOptions(
        reasoner=reasoner,
        model=model,
        jobs=jobs,
        judge_model=judge_model,
        charts=report is not None and report.suffix == ".html",
    )
    try:
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("evaluating", total=None)
            summary = run_suite(
                list(paths or []),
                options,
                base=settings,
                progress=lambda done, total, name: bar.update(task, completed=done, total=total, description=name),
            )
    except ScenarioError as exc:
        fail(str(exc))
    previous = json.loads(baseline.read_text()) if baseline else None
    _print_summary(summary)
    if calibrate:
        from evals.cli.calibrate import calibrate_weight

        summary["calibration"] = calibrate_weight(summary, settings, model or settings.model, folds, list(paths or []))
    if json_file:
        json_file.write_text(json.dumps(summary, indent=2, default=str))
    if report:
        text = html_report(summary, previous) if report.suffix == ".html" else markdown_report(summary, previous)
        report.write_text(text)
    missed = [
        f"{name} {summary[key]:.3f} < {limit}"
        for name, key, limit in [
            ("top-1", "top1_accuracy", min_top1),
            ("top-3", "top3_accuracy", min_top3),
            ("category", "category_accuracy", min_category),
        ]
        if limit is not None and summary[key] < limit
    ]
    if summary["unsafe_actions"]:
        missed.append(f"{summary['unsafe_actions']} unsafe action(s)")
    if missed:
        console.print(f"[bold red]thresholds missed:[/] {'; '.join(missed)}")
        raise typer.Exit(1)


def _print_summary(summary: dict[str, object]) -> None:
    table = Table(title="Andon eval")
    table.add_column("metric")
    table.add_column("value")
    for key in (
        "scenarios",
        "passed",
        "top1_accuracy",
        "top3_accuracy",
        "category_accuracy",
        "action_precision",
        "action_coverage",
        "unsafe_actions",
        "retrieval_hit_rate",
        "errors",
        "tokens",
        "duration_s",
    ):
        table.add_row(key, str(summary.get(key)))
    if "rcaeval" in summary:
        table.add_row("rcaeval", json.dumps(summary["rcaeval"]))
    for key in ("model_weight", "model_calibrated", "model_claims"):  # the llm reasoner: the w its ranking had
        if key in summary:
            table.add_row(key, json.dumps(summary[key]))
    console.print(table)
    for item in summary["per_scenario"]:  # type: ignore[attr-defined]
        if not item["passed"]:
            console.print(
                f"[red]✗[/] {item['id']}: expected {item['category_expected']} on {item['service_expected']}"
                f", got {item['category_predicted']} on {item['service_predicted']}"
                + (f" ({item['error']})" if item.get("error") else "")
            )


def _check(paths: list[Path]) -> None:
    from evals.check import check_scenarios
    from evals.runner import default_suite
    from evals.scenario import ScenarioError

    try:
        results = check_scenarios(paths or [default_suite()])
    except ScenarioError as exc:
        fail(str(exc))
    for result in results:
        if result.ok:
            console.print(f"[green]✓[/] {result.id}: {result.facts}", highlight=False)
        for problem in result.problems:
            console.print(f"[red]✗[/] {result.id}: {problem}", highlight=False, soft_wrap=True)
    broken = sum(1 for r in results if not r.ok)
    console.print(f"{len(results) - broken} of {len(results)} scenarios ok")
    if broken:
        raise typer.Exit(1)


def _retrieval(json_file: Path | None, min_recall5: float | None) -> None:
    from evals.retrieval import run_retrieval_eval

    settings = settings_or_exit()
    result = run_retrieval_eval(settings)
    table = Table(title=f"Retrieval eval ({result['queries']} queries)")
    for column in ("method", "recall@1", "recall@5", "mrr"):
        table.add_column(column)
    for method in ("vector", "lexical", "hybrid"):
        row = result[method]
        table.add_row(method, f"{row['recall@1']:.3f}", f"{row['recall@5']:.3f}", f"{row['mrr']:.3f}")
    console.print(table)
    if json_file:
        json_file.write_text(json.dumps(result, indent=2))
    if min_recall5 is not None and result["hybrid"]["recall@5"] < min_recall5:
        console.print(f"[bold red]hybrid recall@5 {result['hybrid']['recall@5']:.3f} < {min_recall5}[/]")
        raise typer.Exit(1)
