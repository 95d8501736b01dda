"""``andon tune``: fit the RCA engine's diagnosis parameters to labelled scenarios and to the incidents
people resolved or judged, print cross-validated figures next to the training figures, write the file the
engine loads."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from bot.cli.common import console, fail, settings_or_exit

if TYPE_CHECKING:
    from bot.settings import Settings
    from tools.rca.params import Params
    from tools.rca.tuning import Case


def tune(
    paths: list[Path] = typer.Argument(None, help="scenario folders or suites to fit on (default: the bundled suite)"),
    folds: int = typer.Option(5, "--folds", "-k", help="cross-validation folds"),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="where to write the fitted parameters (default: <data_dir>/rca-params.json, which the engine loads)",
    ),
    store: bool = typer.Option(True, "--store/--no-store", help="also fit on incidents people resolved or judged"),
    passes: int = typer.Option(2, "--passes", help="coordinate-search passes over the parameters"),
    json_file: Path | None = typer.Option(None, "--json", help="write the figures as JSON"),
    list_only: bool = typer.Option(False, "--list", help="list the parameters, their values and reasons, and exit"),
) -> None:
    """Fit the engine's parameters with k-fold cross-validation; the cross-validated accuracy is what to expect
    on incidents it has not seen."""
    from evals.gather import scenario_cases
    from evals.runner import default_suite
    from evals.scenario import ScenarioError
    from tools.rca.params import describe_params, save_params
    from tools.rca.tuning import cross_validate, evaluate, fit

    settings = settings_or_exit()
    if list_only:
        _list(describe_params(_current(settings)))
        return
    started = time.time()
    try:
        cases = scenario_cases(
            list(paths or [default_suite()]),
            settings,
            progress=lambda name: console.print(f"[dim]evidence: {name}[/]", highlight=False),
        )
    except ScenarioError as exc:
        fail(str(exc))
    if store:
        cases += _store_cases(settings)
    if len(cases) < 2:
        fail("fewer than two labelled cases: give scenario folders, or resolve incidents first")
    from bot.runtime import open_knowledge

    runbooks = open_knowledge(settings).runbooks()
    before = evaluate(cases, runbooks, _current(settings))
    validation = cross_validate(
        cases, runbooks, k=folds, passes=passes, progress=lambda line: console.print(f"[dim]{line}[/]", highlight=False)
    )
    params, train = fit(cases, runbooks, passes=passes)
    target = out or settings.data_dir / "rca-params.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    figures = {
        "cases": len(cases),
        "folds": folds,
        "before": before.as_dict(),
        "train": train.as_dict(),
        "cv_train": validation.train.as_dict(),
        "cv_held_out": validation.cv.as_dict(),
        "fitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(time.time() - started),
    }
    save_params(params, target, {"figures": figures})
    table = Table(title=f"andon tune — {len(cases)} cases, {folds}-fold cross-validation")
    for column in ("", "top-1", "category"):
        table.add_column(column)
    table.add_row("current parameters", f"{before.top1:.3f}", f"{before.category:.3f}")
    table.add_row(
        "fitted, on the folds it was fitted on", f"{validation.train.top1:.3f}", f"{validation.train.category:.3f}"
    )
    table.add_row(
        "fitted, on the held-out folds (cross-validated)", f"{validation.cv.top1:.3f}", f"{validation.cv.category:.3f}"
    )
    table.add_row("fitted on all cases (training)", f"{train.top1:.3f}", f"{train.category:.3f}")
    console.print(table)
    console.print(f"wrote {target}")
    if json_file:
        json_file.write_text(json.dumps({**figures, "folds_detail": validation.folds}, indent=2))


def _current(settings: Settings) -> Params:
    from bot.runtime import rca_params

    return rca_params(settings)


def _store_cases(settings: Settings) -> list[Case]:
    from bot.store import open_store
    from bot.store.incidents import labelled_incidents
    from evals.gather import incident_cases

    store = open_store(settings.database_url, settings.data_dir)
    try:
        return incident_cases(labelled_incidents(store), settings.topology)
    finally:
        store.db.close()


def _list(described: list[dict[str, object]]) -> None:
    table = Table(title="RCA engine parameters")
    for column in ("name", "value", "fitted range", "why"):
        table.add_column(column)
    for item in described:
        tune = item["tune"]
        table.add_row(
            str(item["name"]),
            str(item["value"]),
            f"{tune[0]}–{tune[1]}" if tune else "",  # type: ignore[index]
            str(item["why"]),
        )
    console.print(table)
