"""Which Kubernetes API server Andon reads and acts on, and as whom, chosen from settings and the pod's
environment, first match wins:

1. ``ANDON_KUBERNETES_URL`` (with ``ANDON_KUBERNETES_TOKEN``): that server, that token;
2. a kubeconfig: ``ANDON_KUBECONFIG``, or — when ``ANDON_KUBERNETES_CONTEXT`` names a context —
   ``$KUBECONFIG``, else ``~/.kube/config``; the context's server, CA, client certificate and user
   (token, exec plugin, auth provider);
3. in a pod (``KUBERNETES_SERVICE_HOST``/``KUBERNETES_SERVICE_PORT`` and a mounted service-account token),
   the pod's service account, unless ``ANDON_KUBERNETES_IN_CLUSTER=false``;
4. otherwise none: Andon runs without Kubernetes.

A developer's own kubeconfig is never picked up unasked: an SRE bot started on a laptop would otherwise
read, and act on, whatever cluster ``kubectl`` happens to point at, with the developer's rights.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from bot.settings import Settings, SettingsError
from tools.sources.kubeconnection import (
    SERVICE_ACCOUNT_DIR,
    KubeConnection,
    in_cluster_connection,
    static_connection,
)

__all__ = ["DEFAULT_KUBECONFIG", "kubeconfig_paths", "kubernetes_connection"]

DEFAULT_KUBECONFIG = "~/.kube/config"


def kubeconfig_paths(settings: Settings, environ: Mapping[str, str]) -> str | None:
    """The kubeconfig file(s) settings ask for, or ``None`` when they ask for none."""
    if settings.kubeconfig:
        return settings.kubeconfig
    if settings.kubernetes_context:
        return environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG
    return None


def kubernetes_connection(
    settings: Settings, environ: Mapping[str, str] | None = None, service_account_dir: Path = SERVICE_ACCOUNT_DIR
) -> KubeConnection | None:
    """The connection the module's docstring describes; ``environ`` defaults to the process's environment.
    A kubeconfig that cannot be used raises :class:`SettingsError` naming the settings."""
    environ = os.environ if environ is None else environ
    if settings.kubernetes_url:
        return static_connection(settings.kubernetes_url, settings.secret("kubernetes_token") or None)
    paths = kubeconfig_paths(settings, environ)
    if paths is not None:
        from tools.sources.kubeconfig import KubeconfigError, kubeconfig_connection

        try:
            return kubeconfig_connection(paths, settings.kubernetes_context)
        except KubeconfigError as exc:
            named = "ANDON_KUBECONFIG" if settings.kubeconfig else "ANDON_KUBERNETES_CONTEXT"
            raise SettingsError(f"{named}: {exc}") from exc
    if settings.kubernetes_in_cluster:
        return in_cluster_connection(environ, service_account_dir)
    return None
