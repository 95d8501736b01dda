"""Build live sources from settings: Prometheus, Alertmanager, logs (Loki or files), Kubernetes, change feed."""

from __future__ import annotations

from bot.settings import Settings
from tools.sources import Sources

__all__ = ["build_live_sources"]


def build_live_sources(settings: Settings) -> Sources:
    from tools.sources.alertmanager import AlertmanagerSource
    from tools.sources.prometheus import PrometheusSource

    sources = Sources(topology=dict(settings.topology), services=sorted(settings.topology))
    if settings.prometheus_url:
        sources.metrics = PrometheusSource(settings.prometheus_url)
    if settings.alertmanager_url:
        sources.alerts = AlertmanagerSource(settings.alertmanager_url)
    if settings.loki_url:
        from tools.sources.loki import LokiSource

        sources.logs = LokiSource(settings.loki_url)
    elif settings.log_dir:
        from tools.sources.logfiles import LogFileSource

        sources.logs = LogFileSource(settings.log_dir)
    if settings.kubernetes_url:
        from tools.sources.kubernetes import KubernetesSource

        sources.kubernetes = KubernetesSource(settings.kubernetes_url, settings.secret("kubernetes_token") or None)
    if settings.change_feed_url:
        from tools.sources.changefeed import ChangeFeedSource

        sources.changes = ChangeFeedSource(settings.change_feed_url)
    return sources
