"""One watch scan: read every service's series over the recent window from the metrics source investigations
use, rank them with the same engine (:func:`tools.rca.services.rank_services`), and turn what it finds into
early warnings and exhaustion forecasts — each told once per cooldown, never when someone called that shape
harmless, and with the source's silence reported as blindness (once), not as health."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from bot.watch.budget import service_budgets
from bot.watch.forecast import forecasts
from bot.watch.params import WatchParams
from bot.watch.records import ScanReport
from bot.watch.state import Dismissal, WatchState
from bot.watch.warnings import early_warnings
from tools.rca.params import Params
from tools.rca.services import rank_services
from tools.sources.base import MetricsSource

__all__ = ["Scanner"]

log = logging.getLogger(__name__)


class Scanner:
    """Scans a metrics source; remembers what it told in ``state`` (the incident store)."""

    def __init__(
        self,
        metrics: MetricsSource,
        state: WatchState,
        params: Params | None = None,
        watch: WatchParams | None = None,
        topology: dict[str, list[str]] | Callable[[], dict[str, list[str]]] | None = None,
    ) -> None:
        """``topology``: the call graph, or a way to read it — asked again each scan until it answers, so a
        watch started while Prometheus was down learns its graph once Prometheus is back."""
        self.metrics = metrics
        self.state = state
        self.params = params or Params()
        self.watch = watch or WatchParams()
        self._graph = topology if callable(topology) else None
        self.topology: dict[str, list[str]] = {} if callable(topology) else dict(topology or {})

    def scan(self, now: float) -> ScanReport:
        """Everything the window ending at ``now`` shows; ``new`` marks what is worth telling now."""
        started = time.perf_counter()
        report = ScanReport(at=now)
        try:
            series = self.metrics.candidate_series(now - self.watch.window_s, now, self.watch.step_s)
        except Exception as exc:  # noqa: BLE001 — any failure of the source leaves the watcher blind, not healthy
            return self._blind(report, f"{type(exc).__name__}: {exc}", now, started)
        if not series:
            return self._blind(report, "no metric series in the window", now, started)
        if self.state.blind() is not None:
            self.state.set_blind(None, now)
            report.recovered = True
        report.service_names = sorted({s.service for s in series})
        report.series, report.services = len(series), len(report.service_names)
        ranked = rank_services(series, now, self._call_graph(), self.params)
        dismissed = self.state.dismissals()
        budgets = service_budgets(dismissed.values(), now, self.params.anomaly_threshold, self.watch)
        report.budgets = list(budgets.values())
        seen: set[str] = set()
        for warning in early_warnings(ranked, series, self.params, self.watch):
            if _suppressed(dismissed.get((warning.service, warning.signal)), warning.score, self.watch):
                report.dismissed.append(f"{warning.service}:{warning.signal}")
                continue
            budget = budgets.get(warning.service)
            if budget is not None and warning.score < budget.threshold:
                report.over_budget.append(f"{warning.service}:{warning.signal}")
                continue
            warning.new = self._hold(
                warning.key, warning.service, warning.family, warning.signal, now, warning.to_dict()
            )
            seen.add(warning.key)
            report.warnings.append(warning)
        for forecast in forecasts(series, now, self.watch):
            if _suppressed(dismissed.get((forecast.service, forecast.signal)), None, self.watch):
                report.dismissed.append(f"{forecast.service}:{forecast.signal}")
                continue
            forecast.new = self._hold(
                forecast.key, forecast.service, "exhaustion", forecast.signal, now, forecast.to_dict()
            )
            seen.add(forecast.key)
            report.forecasts.append(forecast)
        self.state.close_unseen(seen, now)
        report.seconds = time.perf_counter() - started
        self.state.record_scan(report.summary())
        return report

    def _call_graph(self) -> dict[str, list[str]]:
        if self._graph is not None and not self.topology:
            try:
                self.topology = dict(self._graph() or {})
            except Exception:  # noqa: BLE001 — a graph it cannot read now is asked for again next scan
                log.info("the watch could not read the call graph yet", exc_info=True)
        return self.topology

    def _hold(self, key: str, service: str, family: str, signal: str, now: float, detail: dict[str, Any]) -> bool:
        """Record that ``key`` holds; True when it is new or its cooldown has passed (tell it now), and nobody
        silenced it until later."""
        held = self.state.held(key)
        silenced = self.state.silenced_until(key)
        tell = (held is None or now - held.notified_at >= self.watch.cooldown_s) and (
            silenced is None or silenced <= now
        )
        self.state.note_seen(key, service, family, signal, now, tell, detail)
        return tell

    def _blind(self, report: ScanReport, error: str, now: float, started: float) -> ScanReport:
        report.blind = f"blind: {error}"
        report.blind_new = self.state.blind() is None
        if report.blind_new:
            self.state.set_blind(error, now)
        report.seconds = time.perf_counter() - started
        self.state.record_scan(report.summary())
        return report


def _suppressed(dismissal: Dismissal | None, score: float | None, watch: WatchParams) -> bool:
    """Someone called this service's signal harmless, and this change is not much larger than the one they saw."""
    if dismissal is None:
        return False
    if dismissal.score is None or score is None:
        return True
    return score < watch.dismissed_escalation * dismissal.score
