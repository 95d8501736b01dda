"""RCAEval-layout cases: ``<service>_<fault>/<n>/data.csv`` + ``inject_time.txt``, scored on service localisation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.sources.base import Series
from tools.sources.replay import read_metrics_csv

__all__ = ["RCACase", "load_case", "is_case", "accuracy_at", "engine_ranking"]


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
    return RCACase(
        id=f"{where}/{label}/{path.name}" if path.name.isdigit() else f"{where}/{label}",
        path=path,
        service=service,
        fault=fault,
        inject_time=inject,
        series=read_metrics_csv(path / "data.csv"),
    )


def accuracy_at(ranks: list[int | None], k: int) -> float:
    """AC@k: share of cases whose root cause is within the top k (ranks are 1-based, None = not found)."""
    if not ranks:
        return 0.0
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def engine_ranking(case: RCACase, runbooks: list[Any] | None = None, params: Any = None) -> list[str]:
    """Services as the engine ranks them for a metrics-only case, without the graph: the findings'
    services first, then the rest of the anomaly ranking (what ``andon eval`` scores through the graph)."""
    from knowledge.documents import Runbook, load_documents
    from knowledge.taxonomy import bundled_dir
    from tools.rca.diagnose import Context, diagnose
    from tools.rca.evidence import read_evidence
    from tools.rca.params import Params
    from tools.rca.services import rank_services, shown_series

    params = params or Params()
    if runbooks is None:
        runbooks = [d for d in load_documents([bundled_dir() / "runbooks"]) if isinstance(d, Runbook)]
    ranked = rank_services(case.series, case.inject_time, None, params)
    data = [r.to_dict(shown_series(r.series, params)) for r in ranked[:20]]
    evidence = read_evidence([{"id": "c1", "tool": "rank_anomalies", "status": "ok", "data": data}])
    out: list[str] = []
    for finding in diagnose(evidence, runbooks, Context(), params):
        if finding.service not in out:
            out.append(finding.service)
    return out + [r.service for r in ranked if r.service not in out]
