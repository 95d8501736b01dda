"""Records the sources return and the protocols each kind of source implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "Actuator",
    "AlertSource",
    "Change",
    "ChangeSource",
    "KubeEvent",
    "KubeSource",
    "LogLine",
    "LogSource",
    "MetricsSource",
    "PodStatus",
    "Scraped",
    "Series",
    "Sources",
]


@dataclass
class Series:
    """One time series: its labels (with ``__name__`` and ``service``), timestamps and values."""

    labels: dict[str, str]
    times: np.ndarray
    values: np.ndarray

    @property
    def name(self) -> str:
        return self.labels.get("__name__", "")

    @property
    def service(self) -> str:
        return self.labels.get("service", "") or self.labels.get("job", "")

    def key(self) -> str:
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()) if k != "__name__")
        return f"{self.name}{{{inner}}}"


@dataclass
class LogLine:
    ts: float
    service: str
    text: str
    level: str = "info"


@dataclass
class Change:
    """A deploy, config change, feature-flag flip, migration or infrastructure change."""

    ts: float
    service: str
    kind: str
    description: str = ""
    version: str = ""
    previous_version: str = ""
    author: str = ""
    flag: str = ""


@dataclass
class PodStatus:
    name: str
    service: str
    phase: str = "Running"
    ready: bool = True
    restarts: int = 0
    reasons: list[str] = field(default_factory=list)
    node: str = ""


@dataclass
class KubeEvent:
    ts: float
    service: str
    reason: str
    message: str = ""
    object: str = ""
    type: str = "Normal"


class MetricsSource(Protocol):
    def query_range(self, query: str, start: float, end: float, step: float) -> list[Series]: ...

    def query(self, query: str, at: float) -> list[Series]: ...

    def candidate_series(self, start: float, end: float, step: float) -> list[Series]:
        """Every series worth ranking for anomalies, each labelled with its service."""
        ...


@runtime_checkable
class Scraped(Protocol):
    """A metrics source that knows how often its series are sampled (a Prometheus reads its scrape interval
    from its configuration): a reader that must see every sample asks at that step, and no finer."""

    def scrape_s(self) -> float: ...


class LogSource(Protocol):
    def lines(
        self, start: float, end: float, service: str | None = None, query: str | None = None
    ) -> list[LogLine]: ...


class ChangeSource(Protocol):
    def changes(self, start: float, end: float, service: str | None = None) -> list[Change]: ...


class KubeSource(Protocol):
    def pods(self, service: str | None = None) -> list[PodStatus]: ...

    def events(self, since: float, service: str | None = None) -> list[KubeEvent]: ...

    def nodes(self) -> list[dict[str, Any]]: ...

    def rollout_history(self, service: str) -> list[dict[str, Any]]: ...


class AlertSource(Protocol):
    def alerts(self) -> list[dict[str, Any]]: ...

    def silences(self) -> list[dict[str, Any]]: ...


class Actuator(Protocol):
    """Carries out an approved action on a real system (Kubernetes, the lab, an automation hook)."""

    def execute(self, action: str, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]: ...


@dataclass
class Sources:
    """The bundle of sources tools read from; any member may be absent."""

    metrics: MetricsSource | None = None
    logs: LogSource | None = None
    changes: ChangeSource | None = None
    kubernetes: KubeSource | None = None
    alerts: AlertSource | None = None
    actuator: Actuator | None = None
    topology: dict[str, list[str]] = field(default_factory=dict)
    """service -> the services it depends on (calls)."""
    services: list[str] = field(default_factory=list)
    graph_reader: Callable[[], tuple[str, dict[str, list[str]]]] | None = None
    """Reads (origin, call graph) from telemetry, such as a servicegraph metric, when no topology is configured."""
    replayed: bool = False
    """Whether every member replays recorded telemetry (a scenario or fixture) rather than reading a live system."""

    def call_graph(self) -> dict[str, list[str]]:
        """The configured topology, else the one telemetry records (read once, when first needed)."""
        if not self.topology and self.graph_reader is not None:
            _, self.topology = self.graph_reader()
            self.graph_reader = None
        return self.topology
