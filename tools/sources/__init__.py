"""Where tools get their data: live backends (Prometheus, Alertmanager, Loki, Kubernetes, a change
feed) or replayed telemetry from a scenario. One tool interface, several sources."""

from tools.sources.base import (
    Actuator,
    AlertSource,
    Change,
    ChangeSource,
    KubeEvent,
    KubeSource,
    LogLine,
    LogSource,
    MetricsSource,
    PodStatus,
    Scraped,
    Series,
    Sources,
)

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
