"""Build live sources from settings: Prometheus, Alertmanager, logs (Loki or files), Kubernetes, change feed;
the HTTP telemetry backends with their auth, TLS and retries."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cluster_access import kubernetes_connection
from bot.settings import Settings, SettingsError, TelemetryBackend
from tools.sources import Actuator, Sources
from tools.sources.kubeconnection import SERVICE_ACCOUNT_DIR

if TYPE_CHECKING:
    import httpx

    from tools.sources.kubeconnection import KubeConnection

__all__ = ["backend_client", "build_actuator", "build_live_sources"]

log = logging.getLogger(__name__)


def backend_client(settings: Settings, backend: TelemetryBackend, url: str) -> httpx.Client:
    """The client for ``backend`` at ``url``: its ``ANDON_<BACKEND>_*`` auth and TLS settings, with retries."""
    from tools.sources.http_client import build_http_client

    try:
        return build_http_client(url, settings.backend_auth(backend))
    except ValueError as exc:  # e.g. a CA file that is not PEM, which only building the client finds
        raise SettingsError(str(exc)) from exc


def build_live_sources(
    settings: Settings, environ: Mapping[str, str] | None = None, service_account_dir: Path = SERVICE_ACCOUNT_DIR
) -> Sources:
    """The sources settings configure; Kubernetes as :func:`bot.cluster_access.kubernetes_connection` finds it
    (``environ`` and ``service_account_dir`` say where a pod's service account is looked for)."""
    from tools.sources.alertmanager import AlertmanagerSource
    from tools.sources.prometheus import PrometheusSource

    sources = Sources(topology=dict(settings.topology), services=sorted(settings.topology))
    if settings.prometheus_url:
        metrics = PrometheusSource(
            settings.prometheus_url, client=backend_client(settings, "prometheus", settings.prometheus_url)
        )
        sources.metrics = metrics
        if not settings.topology:  # no ANDON_TOPOLOGY: the call graph a servicegraph or mesh metric records
            sources.graph_reader = metrics.profiles.topology
    if settings.alertmanager_url:
        sources.alerts = AlertmanagerSource(
            settings.alertmanager_url, client=backend_client(settings, "alertmanager", settings.alertmanager_url)
        )
    if settings.loki_url:
        from tools.sources.loki import LokiSource

        sources.logs = LokiSource(settings.loki_url, client=backend_client(settings, "loki", settings.loki_url))
    elif settings.log_dir:
        from tools.sources.logfiles import LogFileSource

        sources.logs = LogFileSource(settings.log_dir)
    cluster = kubernetes_connection(settings, environ, service_account_dir)
    if cluster is not None:
        from tools.sources.kubernetes import KubernetesSource

        log.info(
            "Kubernetes: %s%s",
            cluster.origin,
            f", namespaces {', '.join(settings.kubernetes_namespaces)}" if settings.kubernetes_namespaces else "",
        )
        sources.kubernetes = KubernetesSource(_checked(cluster), namespaces=settings.kubernetes_namespaces)
    if settings.change_feed_url:
        from tools.sources.changefeed import ChangeFeedSource

        sources.changes = ChangeFeedSource(settings.change_feed_url)
    sources.actuator = _actuator(settings, cluster)
    return sources


def _checked(cluster: KubeConnection) -> KubeConnection:
    """``cluster`` once its TLS files are known to load (a bad CA or key is a settings error, named at start-up)."""
    try:
        cluster.tls()
    except ValueError as exc:
        raise SettingsError(f"Kubernetes ({cluster.origin}): {exc}") from exc
    return cluster


def build_actuator(
    settings: Settings, environ: Mapping[str, str] | None = None, service_account_dir: Path = SERVICE_ACCOUNT_DIR
) -> Actuator | None:
    """A :class:`CompositeActuator` routing each action to the backend settings configure; ``None``
    when none is (actuator tools then report that no backend is configured). Kubernetes as in
    :func:`build_live_sources`."""
    return _actuator(settings, kubernetes_connection(settings, environ, service_account_dir))


def _actuator(settings: Settings, cluster: KubeConnection | None) -> Actuator | None:
    from tools.sources.actuators import (
        KUBERNETES_ACTIONS,
        AlertmanagerActuator,
        CompositeActuator,
        HttpActuator,
        KubernetesActuator,
    )
    from tools.sources.alertmanager import AlertmanagerSource

    routes: dict[str, Actuator] = {}
    if cluster is not None:
        kube = KubernetesActuator(_checked(cluster), namespaces=settings.kubernetes_namespaces)
        routes.update(dict.fromkeys(KUBERNETES_ACTIONS, kube))
    if settings.alertmanager_url:
        client = backend_client(settings, "alertmanager", settings.alertmanager_url)
        routes["create_silence"] = AlertmanagerActuator(AlertmanagerSource(settings.alertmanager_url, client=client))
    if settings.flag_url or settings.automation_hooks:
        http = HttpActuator(settings.flag_url, settings.automation_hooks)
        if settings.flag_url:
            routes["toggle_flag"] = http
        if settings.automation_hooks:
            routes["run_automation"] = http
    return CompositeActuator(routes) if routes else None
