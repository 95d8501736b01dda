"""A kubeconfig context as a :class:`~tools.sources.kubeconnection.KubeConnection`.

The maintained ``kubernetes`` client resolves the file, as ``kubectl`` does: several files merged
(``a:b``, as ``KUBECONFIG``), the context, the server URL, the CA (``certificate-authority`` or
``-data``), the name to verify the server by (``tls-server-name``), the client certificate and key, a
bearer token or token file, basic auth, auth providers (OIDC, GCP) and exec plugins (``aws eks get-token``,
``gke-gcloud-auth-plugin``, ``kubelogin``…). Only that resolution is borrowed: requests still go through
Andon's own httpx client. Certificate and key data embedded in the file are written by the client library
to private temporary files it deletes at exit.
The kubeconfig is never written back (no token caching in the user's file).
"""

from __future__ import annotations

import threading
from typing import Any

from tools.sources.kubeconnection import KubeConnection

__all__ = ["KubeconfigCredentials", "KubeconfigError", "kubeconfig_connection"]


class KubeconfigError(ValueError):
    """A kubeconfig that cannot be used: missing, not YAML, no such context, a failing exec plugin…"""


def _load(paths: str, context: str | None) -> tuple[Any, Any]:
    """The ``kubernetes`` client's loader for ``paths`` at ``context``, and the configuration it resolved."""
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import KubeConfigLoader, KubeConfigMerger

    try:
        merged = KubeConfigMerger(paths)  # type: ignore[no-untyped-call]
    except Exception as exc:  # unreadable, not YAML
        raise KubeconfigError(f"{paths}: {exc}") from exc
    if merged.config is None:
        raise KubeconfigError(f"no kubeconfig at {paths}")
    known = [str(entry["name"]) for entry in merged.config.value.get("contexts") or [] if "name" in entry]
    if context is not None and context not in known:
        raise KubeconfigError(f"{paths} has no context {context!r} (it has: {', '.join(known) or 'none'})")
    try:
        loader = KubeConfigLoader(
            config_dict=merged.config,
            active_context=context,  # type: ignore[no-untyped-call]
            config_base_path=None,
        )
        configuration = Configuration()
        loader.load_and_set(configuration)  # type: ignore[no-untyped-call]
    except ConfigException as exc:
        raise KubeconfigError(f"{paths}: {exc}") from exc
    except Exception as exc:  # a malformed entry, an auth provider's own errors: named, not a traceback
        raise KubeconfigError(f"{paths}: {type(exc).__name__}: {exc}") from exc
    return loader, configuration


class KubeconfigCredentials:
    """The ``Authorization`` header a kubeconfig user gives: a token (from the file, a token file, an auth
    provider or an exec plugin, renewed by the client library when it expires) or basic auth. After a 401
    the kubeconfig is read again, which runs the exec plugin again."""

    def __init__(self, paths: str, context: str | None, configuration: Any) -> None:
        self.paths = paths
        self.context = context
        self._configuration = configuration
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KubeconfigCredentials({self.paths!r}, context={self.context!r})"

    def authorization(self) -> str | None:
        with self._lock:  # the refresh hook may run an exec plugin: once at a time
            value = self._configuration.get_api_key_with_prefix("BearerToken")
        return str(value) if value else None

    def refresh(self) -> bool:
        before = self.authorization()
        _, configuration = _load(self.paths, self.context)
        with self._lock:
            self._configuration = configuration
        return self.authorization() != before


def kubeconfig_connection(paths: str, context: str | None = None) -> KubeConnection:
    """The server, trust, client certificate and credentials of ``context`` (default: the file's
    ``current-context``) in the kubeconfig at ``paths``; :class:`KubeconfigError` when unusable."""
    loader, configuration = _load(paths, context)
    chosen = loader.current_context or {}
    name = str(chosen.get("name", ""))
    namespace = (chosen.get("context") or {}).get("namespace")
    cert, key = getattr(configuration, "cert_file", None), getattr(configuration, "key_file", None)
    if not configuration.host or configuration.host == "http://localhost":
        raise KubeconfigError(f"{paths}: context {name!r} names no cluster server")
    return KubeConnection(
        url=str(configuration.host).rstrip("/"),
        credentials=KubeconfigCredentials(paths, name or context, configuration),
        ca_file=configuration.ssl_ca_cert or None,
        client_cert=(str(cert), str(key)) if cert and key else None,
        verify=bool(configuration.verify_ssl),
        proxy=configuration.proxy or None,
        server_name=getattr(configuration, "tls_server_name", None) or None,
        namespace=str(namespace) if namespace else None,
        origin=f"kubeconfig {paths}, context {name}",
    )
