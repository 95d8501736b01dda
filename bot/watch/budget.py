"""The false-warning budget: each service may have ``WatchParams.false_warning_budget`` warnings called "not a
problem" within ``budget_window_s`` (by default one a week); past it, the watch grows less sensitive on that service
alone — its anomaly threshold is
multiplied by ``budget_raise`` for each dismissal over the budget — and says so in every scan.

A dismissal is counted once per service and signal (the store keeps the latest one of each), at its time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from bot.watch.params import WatchParams
from bot.watch.state import Dismissal

__all__ = ["ServiceBudget", "service_budgets", "window_words"]


@dataclass(frozen=True)
class ServiceBudget:
    """One service's use of the false-warning budget, and the threshold the watch warns it at."""

    service: str
    dismissed: int
    """Its warnings called "not a problem" within the budget's window."""
    budget: int
    window_s: float
    """The window the dismissals are counted in (a week by default)."""
    threshold: float
    """The anomaly threshold (z) its warnings must reach: the engine's, raised when over the budget."""

    @property
    def over(self) -> bool:
        return self.dismissed > self.budget

    def describe(self) -> str:
        said = (
            f"{self.service}: {self.dismissed} warning(s) called not a problem in the last "
            f"{window_words(self.window_s)} (budget {self.budget})"
        )
        return said + (f"; warned only at z ≥ {self.threshold:.3g} now" if self.over else "")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "threshold": round(self.threshold, 3), "over": self.over}


def window_words(seconds: float) -> str:
    """``week``, ``day``, ``3 days``, ``12 h``: a budget's window as people say it."""
    days = seconds / 86400.0
    if abs(days - 7.0) < 1e-9:
        return "week"
    if abs(days - 1.0) < 1e-9:
        return "day"
    return f"{days:g} days" if days >= 1 else f"{seconds / 3600.0:.3g} h"


def service_budgets(
    dismissals: Iterable[Dismissal], now: float, anomaly_threshold: float, watch: WatchParams
) -> dict[str, ServiceBudget]:
    """The budget of every service with a dismissal in the window ending at ``now``."""
    counts = Counter(d.service for d in dismissals if now - watch.budget_window_s <= d.at <= now)
    out = {}
    for service, count in sorted(counts.items()):
        excess = max(count - watch.false_warning_budget, 0)
        out[service] = ServiceBudget(
            service,
            count,
            watch.false_warning_budget,
            watch.budget_window_s,
            anomaly_threshold * watch.budget_raise**excess,
        )
    return out
