"""The false-warning budget: each service may have ``WatchParams.false_warning_budget`` warnings a day called
"not a problem"; past it, the watch grows less sensitive on that service alone — its anomaly threshold is
multiplied by ``budget_raise`` for each dismissal over the budget — and says so in every scan.

A dismissal is counted once per service and signal (the store keeps the latest one of each), at its time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from bot.watch.params import WatchParams
from bot.watch.state import Dismissal

__all__ = ["ServiceBudget", "service_budgets"]


@dataclass(frozen=True)
class ServiceBudget:
    """One service's use of the false-warning budget, and the threshold the watch warns it at."""

    service: str
    dismissed: int
    """Its warnings called "not a problem" within the budget's window."""
    budget: int
    threshold: float
    """The anomaly threshold (z) its warnings must reach: the engine's, raised when over the budget."""

    @property
    def over(self) -> bool:
        return self.dismissed > self.budget

    def describe(self) -> str:
        said = f"{self.service}: {self.dismissed} warning(s) called not a problem in the last day (budget {self.budget})"
        return said + (f"; warned only at z ≥ {self.threshold:.3g} now" if self.over else "")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "threshold": round(self.threshold, 3), "over": self.over}


def service_budgets(dismissals: Iterable[Dismissal], now: float, anomaly_threshold: float,
                    watch: WatchParams) -> dict[str, ServiceBudget]:
    """The budget of every service with a dismissal in the window ending at ``now``."""
    counts = Counter(d.service for d in dismissals if now - watch.budget_window_s <= d.at <= now)
    out = {}
    for service, count in sorted(counts.items()):
        excess = max(count - watch.false_warning_budget, 0)
        out[service] = ServiceBudget(service, count, watch.false_warning_budget,
                                     anomaly_threshold * watch.budget_raise ** excess)
    return out
