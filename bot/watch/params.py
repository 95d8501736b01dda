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
    window_s: float = _p(
        1800.0,
        "one scan reads the last half hour: the change-point search looks back 20 min "
        "(Params.lookback_s) and needs a baseline before that",
    )
    step_s: float = _p(15.0, "Prometheus' usual scrape interval: a finer step only repeats samples")
    sustain_samples: int = _p(
        3,
        "a change is sustained once its latest readings beyond the threshold carry the "
        "evidence of three readings at it (half a minute at the step): a larger change "
        "gets there in fewer readings, a marginal one needs three",
    )
    min_persistence: int = _p(
        2,
        "yet never on fewer than two readings in a row: one bad scrape or one GC pause is "
        "a single reading, however far out",
    )
    reading_evidence_cap: float = _p(
        2.0,
        "one reading counts for at most twice the threshold: a wild reading weighs "
        "no more than two ordinary anomalous ones",
    )
    min_baseline_points: int = _p(
        10,
        "a change is judged against at least ten readings before it: a spread "
        "measured on fewer is a guess (a new series, a restarted pod, a fresh window)",
    )
    tail_quantile: float = _p(
        0.9,
        "a series is as noisy as its baseline's own excursions in the bad direction: the "
        "distance from its median to this quantile, as a Gaussian's sigma (a p99 that "
        "jumps between histogram buckets now and then has a flat IQR but is not quiet)",
    )
    latency_relative_floor: float = _p(
        1.0,
        "a latency's spread is at least its own level: a p99 over a short rate "
        "window can be one request — a cold start after a restart, a GC pause, a "
        "retry — and one such request takes it to 2–5× its median while healthy "
        "(measured in the lab's soak), so a slowdown worth a warning is one past "
        "five times its level (z ≥ 4 at one level per spread)",
    )
    quantum_spreads: float = _p(
        1.0,
        "a series that moves in whole units (connections of a pool, messages of a queue) "
        "moves by one at least: one unit is one spread, so one busy connection of five "
        "is no anomaly and a full pool is",
    )
    precedent_margin: float = _p(
        1.0,
        "the readings that make a warning must stand beyond the farthest reading of "
        "the baseline (times this): a level the service already reached while healthy "
        "is not news",
    )
    capacity_share_floor: float = _p(
        0.1,
        "a resource measured as a share of its capacity (CPU of its limit, a pool, "
        "a disk) must move by a tenth of the capacity to be worth a warning: 3% → 5% "
        "of a CPU limit brings nothing nearer to running out",
    )
    cooldown_s: float = _p(1800.0, "a service's warning about one signal family is not repeated for half an hour")
    forecast_horizon_s: float = _p(7200.0, "a resource projected full within two hours is worth a warning now")
    forecast_fit_s: float = _p(
        600.0,
        "a trend is looked for in the last ten minutes, and fitted from where it began "
        "within them: long enough to average out scrape noise, short enough to follow "
        "a leak that began minutes ago",
    )
    forecast_min_points: int = _p(
        5,
        "five readings make a trend: Theil–Sen's median slope survives one wild "
        "reading among them (its breakdown point is 29%); fewer make none",
    )
    forecast_max_lookahead: float = _p(
        15.0,
        "a trend is projected at most fifteen times as far ahead as it has been "
        "seen: the ten-minute fit window speaks for the two-hour horizon (with a "
        "margin), a few seconds of growth — a busier process's heap, a warm-up — "
        "for a minute at most",
    )
    forecast_min_rise_units: int = _p(
        3,
        "a series that moves in whole units (a pool's connections) must climb three "
        "of them to be a trend: a pool flickering between none and two in use "
        "climbs two in a row by chance, and a line through that points at the "
        "capacity within seconds",
    )
    forecast_min_rise_spreads: float = _p(
        3.0,
        "the fitted rise over the fit window must stand this many residual "
        "spreads above the noise around the line, or the slope is noise",
    )
    dismissed_escalation: float = _p(
        3.0, "a change three times the size of one dismissed as harmless is another shape: it is warned about again"
    )
    false_warning_budget: int = _p(
        1,
        "the false-warning budget (the issue's: one false warning per service per "
        "week): how many of one service's warnings in the window may be called \"not a "
        'problem" before the watch grows less sensitive there',
    )
    budget_window_s: float = _p(
        604800.0,
        "the budget counts the dismissals of the last week: a week spans the "
        "weekday and weekend cycles a service's traffic goes through",
    )
    budget_raise: float = _p(
        1.5,
        "each dismissal over the budget multiplies the service's anomaly threshold by "
        "this: two over it, a warning needs 2.25 times the usual z",
    )
    silence_s: float = _p(3600.0, '"Silence 1 h" on a warning\'s card: nothing more is said of it for an hour')
    attach_grace_s: float = _p(
        600.0,
        "an alert joins a warning's thread while the warning is open and up to ten "
        "minutes after the watch stopped seeing it: a rule's `for:` and Alertmanager's "
        "group wait can page after the change settled",
    )


def watch_params(settings: Settings) -> WatchParams:
    """The defaults with the ``ANDON_WATCH_*`` settings on top."""
    return WatchParams(
        window_s=settings.watch_window_s,
        cooldown_s=settings.watch_cooldown_s,
        forecast_horizon_s=settings.watch_forecast_h * 3600.0,
        false_warning_budget=settings.watch_false_warnings,
        budget_window_s=settings.watch_budget_days * 86400.0,
    )


def describe_watch_params(params: WatchParams | None = None) -> list[dict[str, Any]]:
    """Every parameter with its value and reason (for docs/watch.md)."""
    params = params or WatchParams()
    return [
        {"name": f.name, "value": getattr(params, f.name), "why": f.metadata.get("why", "")}
        for f in fields(WatchParams)
    ]
