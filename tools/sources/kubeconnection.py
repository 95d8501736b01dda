"""How to reach one Kubernetes API server: where it is, which CAs to trust, which client certificate to
present and which ``Authorization`` header to send — and the in-cluster case, found from the environment
and the files the kubelet mounts into every pod that keeps its service-account token.

Credentials are objects, not strings, because real ones change under a running process: a projected
service-account token is rewritten by the kubelet (hourly by default), an exec plugin's token expires.
:class:`~tools.sources.kubeapi.KubeApi` asks for the header on every request and, after a ``401``,
asks the credentials to refresh and tries once more.
"""

from __future__ import annotations

import logging
import math
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

__all__ = [
    "SERVICE_ACCOUNT_DIR",
    "TOKEN_MAX_AGE_S",
    "Credentials",
    "KubeConnection",
    "StaticToken",
    "TokenFile",
    "in_cluster_connection",
    "static_connection",
]

log = logging.getLogger(__name__)

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
"""Where the kubelet mounts a pod's service account: ``token``, ``ca.crt``, ``namespace``."""
TOKEN_MAX_AGE_S = 60.0
"""A token file is re-read at most this often (and at once after a 401), as client-go does."""


class Credentials(Protocol):
    """Who Andon is to the API server."""

    def authorization(self) -> str | None:
        """The ``Authorization`` header value to send now (``Bearer …``), or ``None`` for none."""
        ...

    def refresh(self) -> bool:
        """Called after a 401: reload the credentials; ``True`` when they changed (worth one more try)."""
        ...


@dataclass(frozen=True)
class StaticToken:
    """A bearer token given once (``ANDON_KUBERNETES_TOKEN``); it never refreshes."""

    token: str = field(repr=False)

    def authorization(self) -> str | None:
        return f"Bearer {self.token}" if self.token else None

    def refresh(self) -> bool:
        return False


class TokenFile:
    """A bearer token read from a file that is rewritten under us (a projected service-account token):
    re-read when it is older than ``max_age_s``, and at once when the server answers 401."""

    def __init__(
        self, path: Path, max_age_s: float = TOKEN_MAX_AGE_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.path = path
        self.max_age_s = max_age_s
        self._clock = clock
        self._lock = threading.Lock()
        self._token = ""
        self._read_at = -math.inf

    def __repr__(self) -> str:
        return f"TokenFile({str(self.path)!r})"

    def authorization(self) -> str | None:
        with self._lock:
            if self._clock() - self._read_at >= self.max_age_s:
                self._read()
            return f"Bearer {self._token}" if self._token else None

    def refresh(self) -> bool:
        with self._lock:
            before = self._token
            self._read()
            return self._token != before

    def _read(self) -> None:
        self._read_at = self._clock()
        try:
            token = self.path.read_text().strip()
        except OSError as exc:  # mid-rotation or unmounted: keep the last token, the server will say if it is stale
            log.warning("cannot read the Kubernetes token file %s: %s", self.path, exc)
            return
        if token:
            self._token = token


@dataclass(frozen=True)
class KubeConnection:
    """Everything needed to talk to one API server. Build the HTTP client with :meth:`client`."""

    url: str
    credentials: Credentials | None = None
    ca_file: str | None = None
    """PEM bundle of the CAs that sign the server's certificate; the system's (or ``SSL_CERT_FILE``) without one."""
    client_cert: tuple[str, str] | None = None
    """``(certificate file, key file)``, PEM: presented when the server asks for a client certificate."""
    verify: bool = True
    """``False``: accept any server certificate (kubeconfig ``insecure-skip-tls-verify``)."""
    proxy: str | None = None
    """A proxy for this server only (kubeconfig ``proxy-url``); ``HTTPS_PROXY`` and friends apply otherwise."""
    server_name: str | None = None
    """The name to ask for (SNI) and to check the server's certificate against when it is not the URL's
    host (kubeconfig ``tls-server-name``: a server reached by IP or through a tunnel)."""
    namespace: str | None = None
    """The home namespace: the pod's own in-cluster, the context's with a kubeconfig. Reads fall back to it
    when a cluster-wide list is forbidden."""
    origin: str = ""
    """Where this came from, for logs: ``in-cluster service account``, ``kubeconfig … context …``."""

    def tls(self) -> ssl.SSLContext | bool:
        """What httpx's ``verify=`` gets: a context holding the CA and the client certificate, or a bool."""
        if self.ca_file is None and self.client_cert is None:
            return self.verify
        try:
            if not self.verify:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            elif self.ca_file is not None:
                context = ssl.create_default_context(cafile=self.ca_file)
            else:
                context = httpx.create_ssl_context()
            if self.client_cert is not None:
                context.load_cert_chain(*self.client_cert)
        except (ssl.SSLError, OSError) as exc:
            files = ", ".join(f for f in (self.ca_file, *(self.client_cert or ())) if f)
            raise ValueError(f"Kubernetes TLS files ({files}) are not usable PEM: {exc}") from exc
        return context

    def client(self, timeout_s: float = 10.0) -> httpx.Client:
        return httpx.Client(timeout=timeout_s, verify=self.tls(), proxy=self.proxy)


def static_connection(url: str, token: str | None = None, verify: bool | str = True) -> KubeConnection:
    """A server named by URL (``ANDON_KUBERNETES_URL``, ``kubectl proxy``), with a fixed token; ``verify``
    may name a CA file."""
    credentials = StaticToken(token) if token else None
    if isinstance(verify, str):
        return KubeConnection(url.rstrip("/"), credentials, ca_file=verify, origin=url)
    return KubeConnection(url.rstrip("/"), credentials, verify=verify, origin=url)


def in_cluster_connection(
    environ: Mapping[str, str], service_account_dir: Path = SERVICE_ACCOUNT_DIR
) -> KubeConnection | None:
    """The API server as a pod sees it — ``https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT``,
    the mounted token (re-read as it rotates) and CA — or ``None`` when this is not a pod with a token."""
    host, port = environ.get("KUBERNETES_SERVICE_HOST", ""), environ.get("KUBERNETES_SERVICE_PORT", "")
    token = service_account_dir / "token"
    if not (host and port and token.is_file()):
        return None
    ca_file = service_account_dir / "ca.crt"
    namespace_file = service_account_dir / "namespace"
    namespace = namespace_file.read_text().strip() if namespace_file.is_file() else None
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    return KubeConnection(
        f"https://{host}:{port}",
        TokenFile(token),
        ca_file=str(ca_file) if ca_file.is_file() else None,
        namespace=namespace or None,
        origin=f"in-cluster service account ({service_account_dir})",
    )
