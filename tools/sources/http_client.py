"""The HTTP client for one telemetry backend (Prometheus, Alertmanager, Loki): credentials, extra headers,
the tenant, TLS trust and a timeout from a :class:`BackendAuth`, with retries (:class:`RetryingTransport`).

A :class:`BackendAuth` that contradicts itself (a bearer token *and* basic auth, a CA file that does not
exist…) cannot be built: it raises :class:`ValueError` naming the settings to fix.
"""

from __future__ import annotations

import re
import ssl
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tools.sources.retrying import RetryingTransport

__all__ = ["DEFAULT_TIMEOUT_S", "TENANT_HEADER", "BackendAuth", "build_http_client"]

DEFAULT_TIMEOUT_S = 10.0
"""Per request (connect, read, write, pool): a backend slower than this fails the tool call, not the investigation."""
TENANT_HEADER = "X-Scope-OrgID"
"""Where multi-tenant Loki, Mimir and Cortex read the tenant (organisation) id."""

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an RFC 9110 token


@dataclass(frozen=True)
class BackendAuth:
    """How to reach one backend. Secrets are left out of ``repr``."""

    bearer_token: str | None = field(default=None, repr=False)
    """Sent as ``Authorization: Bearer <token>``."""
    basic_user: str | None = None
    """HTTP basic auth, with ``basic_password``."""
    basic_password: str | None = field(default=None, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Extra headers on every request (an API gateway's key, a proxy's routing header…)."""
    ca_file: Path | None = None
    """A PEM bundle of the CAs to trust instead of the system's (a private CA, a self-signed backend)."""
    insecure_skip_verify: bool = False
    """Accept any certificate: for a lab only; anyone on the path can read and change the answers."""
    tenant: str | None = None
    """Sent as ``X-Scope-OrgID``."""
    timeout_s: float = DEFAULT_TIMEOUT_S
    settings_prefix: str = ""
    """How error messages name the settings: ``ANDON_LOKI_`` gives ``ANDON_LOKI_CA_FILE``; bare field names if empty."""

    def setting(self, name: str) -> str:
        """The name people set ``name`` (a field of this class) by."""
        return f"{self.settings_prefix}{name}".upper() if self.settings_prefix else name

    def __post_init__(self) -> None:
        if self.bearer_token and (self.basic_user or self.basic_password):
            raise ValueError(
                f"{self.setting('bearer_token')} and {self.setting('basic_user')} are both set: "
                "use a bearer token or basic auth, not both"
            )
        if self.basic_password and not self.basic_user:
            raise ValueError(f"{self.setting('basic_password')} is set without {self.setting('basic_user')}")
        if self.ca_file is not None and self.insecure_skip_verify:
            raise ValueError(
                f"{self.setting('ca_file')} and {self.setting('insecure_skip_verify')} are both set: "
                "trust that CA or skip verification, not both"
            )
        if self.ca_file is not None and not Path(self.ca_file).is_file():
            raise ValueError(f"{self.setting('ca_file')}: no such file: {self.ca_file}")
        if not self.timeout_s > 0:
            raise ValueError(f"the timeout must be positive, not {self.timeout_s}")
        self._check_headers()

    def _check_headers(self) -> None:
        headers = self.setting("headers")
        for name, value in self.headers.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"{headers}: {name!r} is not a valid header name")
            if any(char in value for char in "\r\n\0"):
                raise ValueError(f"{headers}: the value of {name} has a line break or NUL in it")
        names = {name.lower() for name in self.headers}
        if "authorization" in names and (self.bearer_token or self.basic_user):
            credentials = self.setting("bearer_token" if self.bearer_token else "basic_user")
            raise ValueError(f"{headers} sets Authorization and {credentials} is set too: use one")
        if TENANT_HEADER.lower() in names and self.tenant:
            raise ValueError(f"{headers} sets {TENANT_HEADER} and {self.setting('tenant')} is set too: use one")

    def request_headers(self) -> dict[str, str]:
        """The headers every request carries: the extra ones, the tenant, a bearer token."""
        out = dict(self.headers)
        if self.tenant:
            out[TENANT_HEADER] = self.tenant
        if self.bearer_token:
            out["Authorization"] = f"Bearer {self.bearer_token}"
        return out


def build_http_client(url: str, auth: BackendAuth | None = None) -> httpx.Client:
    """A client for the backend at ``url``, carrying ``auth``, retrying (:mod:`tools.sources.retrying`) and
    going through the proxy the environment names for ``url`` (``HTTPS_PROXY``, ``NO_PROXY``…), as httpx would."""
    auth = auth or BackendAuth()
    transport = httpx.HTTPTransport(verify=_verify(auth), proxy=environment_proxy(url))
    basic = httpx.BasicAuth(auth.basic_user, auth.basic_password or "") if auth.basic_user else None
    return httpx.Client(
        auth=basic, headers=auth.request_headers(), timeout=auth.timeout_s, transport=RetryingTransport(transport)
    )


def _verify(auth: BackendAuth) -> ssl.SSLContext | bool:
    if auth.insecure_skip_verify:
        return False
    if auth.ca_file is None:
        return True  # the system's CAs (or SSL_CERT_FILE / SSL_CERT_DIR)
    try:
        return ssl.create_default_context(cafile=str(auth.ca_file))
    except (ssl.SSLError, OSError) as exc:
        raise ValueError(f"{auth.setting('ca_file')}: {auth.ca_file} is not a readable PEM CA bundle: {exc}") from exc


def environment_proxy(url: str) -> str | None:
    """The proxy ``*_PROXY`` variables name for ``url``, unless ``NO_PROXY`` exempts its host.

    httpx finds these itself only for clients without a custom transport; ours has one (the retries)."""
    parts = urlsplit(url)
    if not parts.hostname or urllib.request.proxy_bypass(parts.hostname):
        return None
    proxies = urllib.request.getproxies_environment()
    return proxies.get(parts.scheme) or proxies.get("all") or None
