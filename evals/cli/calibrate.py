"""``andon eval --reasoner llm --calibrate``: from the run just made, choose how much the model's ranking
counts (``w``) by cross-validation, print the cross-validated figures next to the training ones, and write
``w`` into the model profile the llm reasoner reads."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table

from bot.cli.common import console, fail

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["calibrate_weight"]


def calibrate_weight(
    summary: dict[str, Any], settings: Settings, model: str, folds: int, suites: list[Path]
) -> dict[str, Any]:
    """Calibrate ``model`` on ``summary`` (an llm eval run), write its profile entry, return the figures."""
    from bot.reasoners.llm.trust import UNCALIBRATED_WEIGHT, profile_path, save_weight
    from evals.calibration import GRID, calibrate, records

    items = records(summary["per_scenario"])
    answered = sum(1 for r in items if r.fixed is None)
    if len(items) < 2 or not answered:
        fail("nothing to calibrate on: the model's diagnosis failed on every scenario (see the notes above)")
    result = calibrate(items, k=folds)
    used = summary.get("model_weight") or []
    table = Table(
        title=f"andon eval --calibrate — {model}, {len(items)} scenarios ({answered} ranked by the "
        f"model), {folds}-fold cross-validation"
    )
    for column in ("", "top-1", "category"):
        table.add_column(column)
    table.add_row("rules engine alone (w = 0)", f"{result.rules.top1:.3f}", f"{result.rules.category:.3f}")
    table.add_row(
        f"uncalibrated (w = {UNCALIBRATED_WEIGHT})",
        f"{result.uncalibrated.top1:.3f}",
        f"{result.uncalibrated.category:.3f}",
    )
    table.add_row(
        "w chosen per fold, on the folds it was chosen on",
        f"{result.cv_train.top1:.3f}",
        f"{result.cv_train.category:.3f}",
    )
    table.add_row(
        "w chosen per fold, on the held-out folds (cross-validated)",
        f"{result.cv.top1:.3f}",
        f"{result.cv.category:.3f}",
    )
    table.add_row(
        f"w = {result.weight} chosen on all scenarios (training)",
        f"{result.train.top1:.3f}",
        f"{result.train.category:.3f}",
    )
    console.print(table)
    figures = {
        "scenarios": len(items),
        "ranked_by_model": answered,
        "folds": folds,
        "grid": [GRID[0], GRID[-1]],
        "rules": result.rules.as_dict(),
        "uncalibrated": result.uncalibrated.as_dict(),
        "train": result.train.as_dict(),
        "cv_train": result.cv_train.as_dict(),
        "cv": result.cv.as_dict(),
        "run_weight": used,
        "suites": [str(p) for p in suites] or ["evals/scenarios"],
        "folds_detail": result.folds,
    }
    target = profile_path(settings)
    save_weight(target, model, result.weight, {k: v for k, v in figures.items() if k != "folds_detail"})
    console.print(
        f"w = {result.weight} for {model} written to {target} (the eval above ran with w = "
        f"{', '.join(map(str, used)) or '?'})"
    )
    return {"weight": result.weight, "profile": str(target), **figures}
