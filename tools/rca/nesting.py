"""Components named as parts of others, and one anomaly seen at both levels.

Names are hierarchical in every stack: a Lambda function and its alias, a workload and its pods, a
service and the component named after it (``lambdastatusupdater-AWS-Lambda`` and
``lambdastatusupdater-AWS-Lambda-Function``, ``orders`` and ``orders-db``). A name that extends another at a
separator names a part of it or a component behind it; either way the whole's measurements include the
part's. When both show the same kind of fault at the same time, that is one anomaly seen twice: the part
is named (it explains the whole), and the anomaly keeps the score of its strongest view, whichever level
the baseline noise happened to favour, and with the evidence of both views (a caller's client-side
series of a component named after it are read where the anomaly is named). A part corroborates its whole
as a dependency corroborates its caller.
"""

from __future__ import annotations

from tools.rca.params import Params
from tools.rca.records import ServiceRecord
from tools.rca.vocabulary import FAULT_KINDS

__all__ = ["parts_of", "credit_parts"]

SEPARATORS = frozenset("-_.:/")
"""Where a hierarchical name is extended; ``cart`` and ``cartservice`` are two names, not a whole and part."""


def parts_of(names: list[str]) -> dict[str, list[str]]:
    """whole -> the names that extend it at a separator."""
    out: dict[str, list[str]] = {}
    for whole in names:
        for other in names:
            if len(other) > len(whole) + 1 and other.startswith(whole) and other[len(whole)] in SEPARATORS:
                out.setdefault(whole, []).append(other)
    return out


def _fault_kind(record: ServiceRecord) -> str | None:
    faults = [a for a in record.series if a.kind in FAULT_KINDS]
    return max(faults, key=lambda a: a.score).kind if faults else None


def _same_anomaly(whole: ServiceRecord, part: ServiceRecord, params: Params) -> bool:
    if whole.onset is None or part.onset is None or whole.fault_score < params.anomaly_threshold:
        return False
    if whole.propagated_from or whole.load_from or set(part.propagated_from) - {whole.service}:
        return False  # the dependency graph already explains them: names speak only where it is silent
    return (
        abs(part.onset - whole.onset) <= params.propagation_slack_s
        and part.fault_score >= params.corroborating_share * whole.fault_score
        and _fault_kind(part) == _fault_kind(whole)
    )


def credit_parts(ranked: list[ServiceRecord], params: Params) -> list[tuple[ServiceRecord, float]]:
    """A whole whose part shows its anomaly is explained by that part, which takes the whole's evidence
    too. Returns the parts that took evidence, each with the stronger view's score it keeps once rescored."""
    kept: dict[str, float] = {}
    by_name = {r.service: r for r in ranked}
    for whole_name, names in parts_of(list(by_name)).items():
        whole = by_name[whole_name]
        for name in names:
            part = by_name[name]
            if _same_anomaly(whole, part, params):
                whole.propagated_from = sorted({*whole.propagated_from, name})
                part.propagated_from = [p for p in part.propagated_from if p != whole_name]  # one anomaly
                kept[name] = max(kept.get(name, part.score), whole.score)
                known = {id(a) for a in part.series}
                part.series.extend(a for a in whole.series if id(a) not in known)
    return [(by_name[name], score) for name, score in kept.items()]
