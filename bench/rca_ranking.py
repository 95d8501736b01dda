"""5. RCA ranking vs peers: on RCAEval-layout datasets, the services as Andon's engine ranks them (its
findings, then its anomaly ranking: ``evals.rcaeval.engine_ranking``) next to the ``rcaeval``
package's BARO and N-Sigma, case by case in one loop: AC@1, AC@3, Avg@5 and time per case.

The service-level label is the case directory's name before the first underscore. BARO and N-Sigma rank
metric columns; a service's rank is that of its first column. Time per case is the ranking call alone
(each method gets the case already loaded in its own format). ``rcaeval`` is a benchmark-only extra
(``pip install -e ".[bench]"``); without it Andon runs alone and the peers are reported as skipped."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.result import BenchOptions, Result
from bench.served import ROOT
from bench.system import median, ms

__all__ = ["NAME", "run", "find_datasets"]

NAME = "rca_ranking"
INSTALL = '.venv/bin/pip install -e ".[bench]"  (rcaeval==1.8.1 and what its e2e module imports)'
Ranker = Callable[[Any], list[str]]
MARGIN = 0.15
"""How far above the better peer Andon's AC@1 must be on each dataset (issue: RCA that generalises)."""
TARGET = f"on every dataset, Andon AC@1 ≥ the best of BARO and N-Sigma + {MARGIN}, and Avg@5 ≥ theirs"


def _holds_cases(folder: Path) -> bool:
    """``<service>_<fault>/data.csv`` or ``<service>_<fault>/<n>/data.csv`` directly inside ``folder``."""
    from evals.rcaeval import is_case

    subfolders = [d for d in folder.iterdir() if d.is_dir()]
    return any(is_case(d) or any(is_case(n) for n in d.iterdir() if n.is_dir()) for d in subfolders)


def find_datasets(extra: tuple[Path, ...] = ()) -> dict[str, list[Path]]:
    """Dataset name → case folders: each dataset in ../shared/datasets, and each extra path (a dataset, or a
    folder of datasets)."""
    from evals.rcaeval import is_case

    found: dict[str, list[Path]] = {}
    for root in [ROOT.parent / "shared" / "datasets", *extra]:
        if not root.is_dir():
            continue
        for dataset in [root] if _holds_cases(root) else sorted(d for d in root.iterdir() if d.is_dir()):
            cases = sorted(p for p in dataset.rglob("*") if p.is_dir() and is_case(p))
            if cases:
                found[dataset.name] = cases
    return found


def _peers() -> tuple[dict[str, Callable[..., Any]], str | None]:
    try:
        from RCAEval.e2e import nsigma
        from RCAEval.e2e.baro import baro
    except ImportError as exc:
        return {}, f"BARO and N-Sigma skipped: cannot import rcaeval ({exc}); install with {INSTALL}"
    return {"BARO": baro, "N-Sigma": nsigma}, None


def _services(columns: list[str]) -> list[str]:
    ranked: list[str] = []
    for column in columns:
        service = column.split("_", 1)[0]
        if service != "time" and service not in ranked:
            ranked.append(service)
    return ranked


def _score(ranks: list[int | None], seconds: list[float]) -> dict[str, Any]:
    from evals.rcaeval import accuracy_at

    return {
        "AC@1": round(accuracy_at(ranks, 1), 3),
        "AC@3": round(accuracy_at(ranks, 3), 3),
        "Avg@5": round(sum(accuracy_at(ranks, k) for k in range(1, 6)) / 5, 3),
        "ms_per_case": ms(median(seconds)),
        "cases": len(ranks),
    }


def _dataset(name: str, cases: list[Path], peers: dict[str, Callable[..., Any]], repeats: int) -> dict[str, Any]:
    from evals.rcaeval import engine_ranking, load_case

    methods = ["Andon", *peers]
    ranks: dict[str, list[int | None]] = {m: [] for m in methods}
    seconds: dict[str, list[float]] = {m: [] for m in methods}
    for path in cases:
        case = load_case(path)
        frame = None
        if peers:
            import pandas as pd

            frame = pd.read_csv(path / "data.csv")
        rankers: dict[str, Callable[[], list[str]]] = {"Andon": lambda case=case: engine_ranking(case)}
        for label, method in peers.items():
            rankers[label] = lambda method=method, frame=frame, case=case: _services(
                list(method(frame, inject_time=case.inject_time, dataset=name)["ranks"])
            )
        for method_name, ranker in rankers.items():
            timings = []
            for _ in range(repeats):
                started = time.perf_counter()
                services = ranker()
                timings.append(time.perf_counter() - started)
            seconds[method_name].append(median(timings))
            ranks[method_name].append(services.index(case.service) + 1 if case.service in services else None)
    return {m: _score(ranks[m], seconds[m]) for m in methods}


def run(options: BenchOptions) -> Result:
    datasets = find_datasets(options.datasets)
    if not datasets:
        return Result(
            name=NAME,
            title="RCA ranking vs peers",
            measured="no RCAEval-layout dataset found",
            target=TARGET,
            runs=0,
            skipped="no dataset under ../shared/datasets; pass --dataset PATH",
        )
    peers, missing = _peers()
    repeats = options.pick(3, 1)
    results: dict[str, Any] = {}
    for name, cases in datasets.items():
        chosen = cases[::6] if options.quick else cases
        results[name] = _dataset(name, chosen, peers, repeats)
    met: bool | None = None
    if peers:
        met = all(
            r["Andon"]["AC@1"] >= max(r[p]["AC@1"] for p in peers) + MARGIN
            and r["Andon"]["Avg@5"] >= max(r[p]["Avg@5"] for p in peers)
            for r in results.values()
        )
    cells = []
    for name, r in results.items():
        cells.append(
            f"{name} ({r['Andon']['cases']} cases): "
            + " · ".join(
                f"{m} {v['AC@1']:.2f}/{v['AC@3']:.2f}/{v['Avg@5']:.2f} in {v['ms_per_case']:.0f} ms"
                for m, v in r.items()
            )
        )
    return Result(
        name=NAME,
        title="RCA ranking vs peers",
        measured="service-level root-cause ranking on RCAEval-layout datasets (label = directory name before the first "
        "underscore): Andon's engine ranking vs rcaeval 1.8.1's BARO and N-Sigma, same cases, same loop; "
        "AC@1/AC@3/Avg@5 and median ranking time per case (loading excluded)",
        target=TARGET if peers else "none (peers not installed)",
        runs=repeats,
        headline="; ".join(cells) + " (AC@1/AC@3/Avg@5)",
        met=met,
        metrics={"datasets": results},
        notes=([missing] if missing else [])
        + (["--quick: every sixth case"] if options.quick else [])
        + [
            "rcaeval's BARO/N-Sigma are given the dataset's name, which turns on its standard preprocessing "
            "(drop time and constant columns)"
        ]
        * bool(peers),
    )
