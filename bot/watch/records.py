"""What one watch scan finds: early warnings, exhaustion forecasts, and whether it could see at all."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.watch.budget import ServiceBudget

__all__ = ["EarlyWarning", "Forecast", "ScanReport", "NAMES_KEPT"]

NAMES_KEPT = 100
"""Service names a scan's stored summary keeps (what ``/andon watch status`` lists)."""


def _clock(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%H:%M:%S")


@dataclass
class EarlyWarning:
    """A sustained, significant bad-direction change on a service, before any alert."""

    service: str
    family: str
    """The signal family (the vocabulary's kind: ``latency``, ``errors``, ``memory``…): warnings are
    deduplicated per service and family."""
    signal: str
    """The canonical signal name, else the metric's own name: what a dismissal names."""
    metric: str
    before: float
    after: float
    since: float
    """When the change began (the change point)."""
    score: float
    """The engine's directed robust z-score of the change."""
    labels: dict[str, str] = field(default_factory=dict)
    explained_by: list[str] = field(default_factory=list)
    """Dependencies or callers the engine says may explain it (it may be a victim, not the cause)."""
    new: bool = True
    """First seen, or seen again after its cooldown: worth telling someone. False while it cools down."""

    @property
    def key(self) -> str:
        return f"warning:{self.service}:{self.family}"

    def describe(self) -> str:
        note = f"; may follow {', '.join(self.explained_by)}" if self.explained_by else ""
        return (
            f"Early warning — {self.service} {self.signal} {self.before:.4g} → {self.after:.4g} "
            f"since {_clock(self.since)} UTC (z={self.score:.1f}, no alert yet){note}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "text": self.describe()}


@dataclass
class Forecast:
    """A saturating resource whose recent trend reaches its capacity within the horizon."""

    service: str
    signal: str
    metric: str
    level: float
    """The fitted level at the latest reading."""
    capacity: float
    """1 for a ratio, else the latest reading of the resource's limit series."""
    slope_per_s: float
    seconds_to_full: float
    labels: dict[str, str] = field(default_factory=dict)
    new: bool = True

    @property
    def key(self) -> str:
        where = ",".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return f"forecast:{self.service}:{self.metric}:{where}"

    @property
    def percent_per_min(self) -> float:
        return self.slope_per_s * 60.0 / self.capacity * 100.0

    def describe(self) -> str:
        minutes = self.seconds_to_full / 60.0
        eta = f"~{minutes:.0f} min" if minutes < 120 else f"~{minutes / 60:.1f} h"
        bound = "" if self.capacity in (1.0, 100.0) else f" of its limit {self.capacity:.4g}"
        return (
            f"{self.signal} of {self.service} full in {eta} at {self.percent_per_min:+.2g}%/min "
            f"(now {self.level / self.capacity:.0%}{bound})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "percent_per_min": round(self.percent_per_min, 4), "text": self.describe()}


@dataclass
class ScanReport:
    """One scan: what it read, what it found, and whether it was blind."""

    at: float
    series: int = 0
    services: int = 0
    warnings: list[EarlyWarning] = field(default_factory=list)
    forecasts: list[Forecast] = field(default_factory=list)
    dismissed: list[str] = field(default_factory=list)
    """``service:signal`` of sustained changes left unsaid because someone called that shape harmless."""
    over_budget: list[str] = field(default_factory=list)
    """``service:signal`` of sustained changes left unsaid because their service spent its false-warning budget
    and they fall short of its raised threshold."""
    budgets: list[ServiceBudget] = field(default_factory=list)
    """The false-warning budget of every service with a dismissal in the budget's window."""
    blind: str | None = None
    """``blind: <error>`` while the metrics source does not answer; None when it does."""
    blind_new: bool = False
    """This scan is the first to find the source gone: the one time to say so."""
    recovered: bool = False
    """The source answers again after being blind."""
    seconds: float = 0.0
    service_names: list[str] = field(default_factory=list)
    """The services the scan read, sorted (the summary keeps the first :data:`NAMES_KEPT`)."""

    def notices(self) -> list[str]:
        """What is worth saying now: the first blind scan, the recovery, and new warnings and forecasts."""
        out = [self.blind] if self.blind and self.blind_new else []
        if self.recovered:
            out.append("watching again: the metrics source answers")
        out += [w.describe() for w in self.warnings if w.new]
        out += [f.describe() for f in self.forecasts if f.new]
        return [text for text in out if text]

    def summary(self) -> dict[str, Any]:
        """What the store keeps of the latest scan (``/andon watch status``): when, how much it read, how long
        it took, whether it was blind, and how many warnings and forecasts it held."""
        return {
            "at": self.at,
            "series": self.series,
            "services": self.services,
            "seconds": round(self.seconds, 3),
            "blind": self.blind,
            "warnings": len(self.warnings),
            "forecasts": len(self.forecasts),
            "dismissed": len(self.dismissed),
            "over_budget": len(self.over_budget),
            "service_names": self.service_names[:NAMES_KEPT],
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "series": self.series,
            "services": self.services,
            "seconds": round(self.seconds, 3),
            "blind": self.blind,
            "blind_new": self.blind_new,
            "recovered": self.recovered,
            "warnings": [w.to_dict() for w in self.warnings],
            "forecasts": [f.to_dict() for f in self.forecasts],
            "dismissed": self.dismissed,
            "over_budget": self.over_budget,
            "budgets": [b.to_dict() for b in self.budgets],
        }
