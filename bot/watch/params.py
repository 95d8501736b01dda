"""Every number the watcher scans with, in one frozen, documented object (the RCA engine's own numbers stay in
:class:`tools.rca.params.Params`; these say how often, how far back, how long and how soon)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["WatchParams", "watch_params", "describe_watch_params"]


def _p(default: Any, why: str) -> Any:
    return field(default=default, metadata={"why": why})


@dataclass(frozen=True)
class WatchParams:
    window_s: float = _p(1800.0, "one scan reads the last half hour: the change-point search looks back 20 min "
                                 "(Params.lookback_s) and needs a baseline before that")
    step_s: float = _p(15.0, "Prometheus' usual scrape interval: a finer step only repeats samples")
    sustain_samples: int = _p(3, "a change still beyond the anomaly threshold over its last three readings (half a "
                                 "minute at the step) is sustained: one bad scrape or one GC pause is a single reading")
    cooldown_s: float = _p(1800.0, "a service's warning about one signal family is not repeated for half an hour")
    forecast_horizon_s: float = _p(7200.0, "a resource projected full within two hours is worth a warning now")
    forecast_fit_s: float = _p(600.0, "the trend is fitted over the last ten minutes: long enough to average out "
                                      "scrape noise, short enough to follow a leak that began minutes ago")
    forecast_min_points: int = _p(8, "fewer readings in the fit window make no trend")
    forecast_min_rise_spreads: float = _p(3.0, "the fitted rise over the fit window must stand this many residual "
                                               "spreads above the noise around the line, or the slope is noise")
    dismissed_escalation: float = _p(3.0, "a change three times the size of one dismissed as harmless is another "
                                          "shape: it is warned about again")
    false_warning_budget: int = _p(1, "the false-warning budget (the issue's: one false warning per service per "
                                      "week): how many of one service's warnings in the window may be called \"not a "
                                      "problem\" before the watch grows less sensitive there")
    budget_window_s: float = _p(604800.0, "the budget counts the dismissals of the last week: a week spans the "
                                          "weekday and weekend cycles a service's traffic goes through")
    budget_raise: float = _p(1.5, "each dismissal over the budget multiplies the service's anomaly threshold by "
                                  "this: two over it, a warning needs 2.25 times the usual z")
    silence_s: float = _p(3600.0, "\"Silence 1 h\" on a warning's card: nothing more is said of it for an hour")
    attach_grace_s: float = _p(600.0, "an alert joins a warning's thread while the warning is open and up to ten "
                                      "minutes after the watch stopped seeing it: a rule's `for:` and Alertmanager's "
                                      "group wait can page after the change settled")


def watch_params(settings: Settings) -> WatchParams:
    """The defaults with the ``ANDON_WATCH_*`` settings on top."""
    return WatchParams(window_s=settings.watch_window_s, cooldown_s=settings.watch_cooldown_s,
                       forecast_horizon_s=settings.watch_forecast_h * 3600.0,
                       false_warning_budget=settings.watch_false_warnings,
                       budget_window_s=settings.watch_budget_days * 86400.0)


def describe_watch_params(params: WatchParams | None = None) -> list[dict[str, Any]]:
    """Every parameter with its value and reason (for docs/watch.md)."""
    params = params or WatchParams()
    return [{"name": f.name, "value": getattr(params, f.name), "why": f.metadata.get("why", "")}
            for f in fields(WatchParams)]
