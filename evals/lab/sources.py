"""Point Andon at a running lab: settings (Prometheus, Alertmanager, change feed, the supervisor's
Kubernetes-style API, log directory) and the live sources built from them, plus the lab actuator. No
topology is configured: Andon reads the call graph from the servicegraph metric the services export.

The lab runs experiments back to back on one Prometheus, and its history is minutes long at a 2 s
resolution. The wrappers here show each investigation only the current experiment — data and events
since the lab's *epoch* (set at ``up`` and after ``heal`` once metrics settled) — and rank anomalies
at the resolution the lab records, instead of at the 30 s step a one-hour production window would get.
Queries and their results are otherwise untouched.
"""

from __future__ import annotations

from typing import Any

from bot.settings import Settings
from evals.lab.actuator import LabActuator
from evals.lab.client import LabClient
from evals.lab.state import read_lab
from evals.lab.topology import SERVICES, LabLayout
from tools.sources import Change, KubeEvent, LogLine, PodStatus, Series, Sources
from tools.sources.base import ChangeSource, KubeSource, LogSource, MetricsSource

__all__ = ["lab_settings", "lab_sources", "ExperimentMetrics", "ExperimentLogs", "ExperimentChanges", "ExperimentKube"]

POINTS = 240
"""About as many points per series as ``rank_anomalies`` asks for."""
MIN_WINDOW_S = 30.0
"""Never rank less history than this, even right after a heal (an experiment has more: its baseline)."""


def lab_settings(settings: Settings, layout: LabLayout) -> Settings:
    """``settings`` pointed at the lab's backends."""
    return settings.model_copy(
        update={
            "prometheus_url": layout.prometheus_url,
            "alertmanager_url": layout.alertmanager_url,
            "change_feed_url": layout.change_feed_url,
            "log_dir": layout.logs_dir,
            "loki_url": None,
            "kubernetes_url": layout.control_url,
            "topology": {},
        }
    )


class _Epoch:
    def __init__(self, layout: LabLayout) -> None:
        self.layout = layout

    def epoch(self) -> float:
        return float(read_lab(self.layout).get("epoch") or 0.0)


class ExperimentMetrics(_Epoch):
    """A metrics source limited to the current experiment, at the lab's resolution."""

    def __init__(self, inner: MetricsSource, layout: LabLayout) -> None:
        super().__init__(layout)
        self.inner = inner

    def query_range(self, query: str, start: float, end: float, step: float) -> list[Series]:
        return self.inner.query_range(query, start, end, step)

    def query(self, query: str, at: float) -> list[Series]:
        return self.inner.query(query, at)

    def candidate_series(self, start: float, end: float, step: float) -> list[Series]:
        start = max(start, min(self.epoch(), end - MIN_WINDOW_S))
        step = min(step, max(2.0, (end - start) / POINTS))
        return self.inner.candidate_series(start, end, step)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class ExperimentLogs(_Epoch):
    def __init__(self, inner: LogSource, layout: LabLayout) -> None:
        super().__init__(layout)
        self.inner = inner

    def lines(self, start: float, end: float, service: str | None = None, query: str | None = None) -> list[LogLine]:
        return self.inner.lines(max(start, min(self.epoch(), end)), end, service, query)


class ExperimentChanges(_Epoch):
    def __init__(self, inner: ChangeSource, layout: LabLayout) -> None:
        super().__init__(layout)
        self.inner = inner

    def changes(self, start: float, end: float, service: str | None = None) -> list[Change]:
        return self.inner.changes(max(start, min(self.epoch(), end)), end, service)


class ExperimentKube(_Epoch):
    """Pods as they are now; events since the epoch (an earlier experiment's back-offs are history)."""

    def __init__(self, inner: KubeSource, layout: LabLayout) -> None:
        super().__init__(layout)
        self.inner = inner

    def pods(self, service: str | None = None) -> list[PodStatus]:
        return self.inner.pods(service)

    def events(self, since: float, service: str | None = None) -> list[KubeEvent]:
        return self.inner.events(max(since, self.epoch()), service)

    def nodes(self) -> list[dict[str, Any]]:
        return self.inner.nodes()

    def rollout_history(self, service: str) -> list[dict[str, Any]]:
        return self.inner.rollout_history(service)


def lab_sources(settings: Settings, layout: LabLayout) -> Sources:
    """Live sources over the lab (PrometheusSource, AlertmanagerSource, LogFileSource, ChangeFeedSource,
    KubernetesSource on the supervisor) scoped to the current experiment, and the lab actuator."""
    from bot.runtime import live_sources

    sources = live_sources(lab_settings(settings, layout))
    if sources.metrics is not None:
        sources.metrics = ExperimentMetrics(sources.metrics, layout)
    if sources.logs is not None:
        sources.logs = ExperimentLogs(sources.logs, layout)
    if sources.changes is not None:
        sources.changes = ExperimentChanges(sources.changes, layout)
    if sources.kubernetes is not None:
        sources.kubernetes = ExperimentKube(sources.kubernetes, layout)
    sources.actuator = LabActuator(LabClient(layout), layout.alertmanager_url)
    sources.services = [s.name for s in SERVICES]
    return sources
