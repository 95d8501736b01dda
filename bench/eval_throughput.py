"""3. Eval throughput: the scenario suite through the real graph (rules reasoner, replayed telemetry) with
``-j 1`` and ``-j 2``, alternated run by run so machine drift hits both alike."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.result import BenchOptions, Result
from bench.system import median

__all__ = ["NAME", "run", "quick_scenarios"]

NAME = "eval_throughput"
QUICK = [
    "a-export-scratch-disk-full",
    "a-render-cpu-hotloop",
    "b-payouts-batch-v2-flag",
    "b-route-planner-maps-quota-429",
    "b-search-api-full-gc-pauses",
    "c-payouts-status-v2-migration-seqscan",
]
"""Six quick scenarios across the three series (any six, if these are renamed)."""


def quick_scenarios(count: int = 6) -> list[Path]:
    from evals.runner import default_suite

    suite = default_suite()
    chosen = [suite / name for name in QUICK if (suite / name / "scenario.yaml").exists()]
    if len(chosen) < count:
        chosen += [p.parent for p in sorted(suite.rglob("scenario.yaml")) if p.parent not in chosen]
    return chosen[:count]


def _once(paths: list[Path], jobs: int) -> dict[str, Any]:
    from evals.runner import EvalOptions, run_suite

    started = time.perf_counter()
    summary = run_suite(paths, EvalOptions(reasoner="rules", jobs=jobs))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "scenarios": summary["scenarios"],
        "errors": summary["errors"],
        "top1_accuracy": summary["top1_accuracy"],
        "passed": summary["passed"],
        "scenario_seconds_sum": sum(s["duration_s"] for s in summary["per_scenario"]),
    }


def _knowledge_setup_s() -> float:
    """What every ``andon eval`` pays before its first scenario: a knowledge base ingested into a temp dir."""
    import tempfile

    from bot.runtime import open_knowledge
    from bot.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="andon-bench-kb-") as tmp:
        started = time.perf_counter()
        open_knowledge(load_settings(data_dir=Path(tmp), reasoner="rules"))
        return time.perf_counter() - started


def run(options: BenchOptions) -> Result:
    from evals.runner import default_suite

    paths = quick_scenarios(4) if options.quick else [default_suite()]
    runs = options.pick(2, 1)
    samples: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    for _ in range(runs):
        for jobs in (1, 2):
            samples[jobs].append(_once(paths, jobs))
    setup = _knowledge_setup_s()
    per_jobs: dict[str, Any] = {}
    for jobs, items in samples.items():
        seconds = median([s["seconds"] for s in items])
        count = items[0]["scenarios"]
        per_jobs[f"j{jobs}"] = {
            "seconds": round(seconds, 2),
            "scenarios": count,
            "scenarios_per_s": round(count / seconds, 3),
            "scenarios_per_s_after_setup": round(count / max(seconds - setup, 1e-9), 3),
            "errors": max(s["errors"] for s in items),
            "top1_accuracy": items[0]["top1_accuracy"],
            "runs": [round(s["seconds"], 2) for s in items],
        }
    j1, j2 = per_jobs["j1"], per_jobs["j2"]
    speedup = j1["seconds"] / j2["seconds"] if j2["seconds"] else float("nan")
    return Result(
        name=NAME,
        title="Eval throughput",
        measured=f"{'a quick subset of ' if options.quick else 'the full suite, '}{j1['scenarios']} scenarios, rules "
        "reasoner, run_suite with -j 1 and -j 2 alternated; wall time including the knowledge-base set-up "
        f"every andon eval does ({setup:.1f} s here)",
        target="none (reported)",
        runs=runs,
        headline=f"-j 1: {j1['seconds']:.1f} s ({j1['scenarios_per_s']:.2f}/s) · -j 2: {j2['seconds']:.1f} s "
        f"({j2['scenarios_per_s']:.2f}/s), ×{speedup:.2f}",
        met=None,
        metrics={"j1": j1, "j2": j2, "speedup_j2": round(speedup, 2), "knowledge_setup_s": round(setup, 2)},
        notes=[
            "2 cores: -j 2 overlaps one scenario's waits with another's work; the graph is Python, so the GIL "
            "bounds the gain"
        ],
    )
