"""RCAEval-layout cases: ``<service>_<fault>/<n>/data.csv`` + ``inject_time.txt``, scored on service localisation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tools.sources.base import Series
from tools.sources.replay import read_metrics_csv

__all__ = ["RCACase", "load_case", "is_case", "accuracy_at"]


@dataclass
class RCACase:
    id: str
    path: Path
    service: str
    fault: str
    inject_time: float
    series: list[Series]

    @property
    def services(self) -> list[str]:
        return sorted({s.service for s in self.series})


def is_case(path: Path) -> bool:
    return (path / "data.csv").exists() and (path / "inject_time.txt").exists()


def load_case(path: Path) -> RCACase:
    """One case; the root-cause service is the case directory's name before the first underscore."""
    if not is_case(path):
        raise ValueError(f"{path}: an RCAEval case needs data.csv and inject_time.txt")
    label = path.parent.name if path.name.isdigit() else path.name
    service, _, fault = label.partition("_")
    try:
        inject = float((path / "inject_time.txt").read_text().strip())
    except ValueError as exc:
        raise ValueError(f"{path / 'inject_time.txt'}: not a unix time") from exc
    where = path.parent.parent.name if path.name.isdigit() else path.parent.name  # cases of two runs share labels
    return RCACase(id=f"{where}/{label}/{path.name}" if path.name.isdigit() else f"{where}/{label}", path=path,
                   service=service,
                   fault=fault, inject_time=inject, series=read_metrics_csv(path / "data.csv"))


def accuracy_at(ranks: list[int | None], k: int) -> float:
    """AC@k: share of cases whose root cause is within the top k (ranks are 1-based, None = not found)."""
    if not ranks:
        return 0.0
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)
