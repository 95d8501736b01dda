"""Correlate deploys and config changes with an incident's onset."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from tools.sources.base import Change

__all__ = ["CorrelatedChange", "correlate_changes"]


@dataclass
class CorrelatedChange:
    change: Change
    minutes_before_onset: float
    score: float
    on_anomalous_service: bool

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["change"] = asdict(self.change)
        return data

    def describe(self) -> str:
        c = self.change
        what = c.flag or c.version or c.description
        return f"{c.kind} of {c.service} ({what}) {self.minutes_before_onset:.0f} min before onset"


def correlate_changes(changes: list[Change], onset: float, anomalous: dict[str, float],
                      window_s: float = 3600.0, after_s: float = 180.0) -> list[CorrelatedChange]:
    """Changes from ``window_s`` before to ``after_s`` after onset, scored by closeness and by
    whether they touched a service that became anomalous (``anomalous`` maps service → score)."""
    out = []
    for change in changes:
        delta = onset - change.ts
        if delta > window_s or delta < -after_s:
            continue
        closeness = math.exp(-max(delta, 0.0) / 900.0) if delta >= 0 else 0.5
        on_anomalous = anomalous.get(change.service, 0.0) > 0
        score = closeness * (1.0 + min(anomalous.get(change.service, 0.0), 50.0) / 10.0)
        out.append(CorrelatedChange(change, round(delta / 60.0, 1), round(score, 3), on_anomalous))
    out.sort(key=lambda c: c.score, reverse=True)
    return out
