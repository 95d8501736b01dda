"""The slice of the Kubernetes REST API that both the Kubernetes source and actuator speak: requests
with the connection's credentials (refreshed once after a 401), clear errors, lists scoped to the
namespaces Andon may read, finding a service's Deployment and its ReplicaSets (revisions).

Scope: with namespaces given, every list is read per namespace (``/api/v1/namespaces/{ns}/pods``), so a
namespaced Role is enough. Without, lists are cluster-wide; when the server forbids that (403) and the
connection has a home namespace (the pod's own, or the kubeconfig context's), they are read there
instead, from then on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import httpx

from tools.sources.kubeconnection import KubeConnection, static_connection
from tools.sources.profiles import workload_of
from tools.sources.prometheus import BackendError

__all__ = [
    "KubeApi",
    "KubeApiError",
    "REVISION_ANNOTATION",
    "check_name",
    "connection_of",
    "image_tag",
    "revision_of",
    "service_of",
]

log = logging.getLogger(__name__)

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
_SERVICE_LABELS = ("app.kubernetes.io/name", "app", "k8s-app")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_RS_SUFFIX = re.compile(r"^(?P<base>.+)-[a-z0-9]{5,10}$")


class KubeApiError(BackendError):
    """An error answer from the API server, with its HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def check_name(name: str, what: str = "name") -> str:
    """``name`` when it is a valid Kubernetes object name; a :class:`ValueError` otherwise (it goes in a URL path)."""
    if not _NAME.match(name or ""):
        raise ValueError(f"invalid Kubernetes {what}: {name!r}")
    return name


def service_of(metadata: dict[str, Any], kind: str = "Pod") -> str:
    """The service an object belongs to: its ``app.kubernetes.io/name``/``app`` label, else its name
    without the generated suffix: a Pod's as :func:`~tools.sources.profiles.workload_of` reads it, in
    Kubernetes' vowel-free alphabet (``checkout-7d9f8b6c5d-x2x7q`` → ``checkout``, while
    ``payment-service-abcde`` stays whole), a ReplicaSet's pod-template hash (``checkout-7d9f8b6c5d``)."""
    labels = metadata.get("labels") or {}
    for key in _SERVICE_LABELS:
        if labels.get(key):
            return str(labels[key])
    name = str(metadata.get("name", ""))
    if kind == "Pod":
        return workload_of(name)
    match = _RS_SUFFIX.match(name) if kind == "ReplicaSet" else None
    return match.group("base") if match else name


def image_tag(image: str) -> str:
    """The tag (or digest) of an image reference: ``registry:5000/shop/checkout:1.4.2`` → ``1.4.2``."""
    if "@" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else "latest"


def revision_of(obj: dict[str, Any]) -> int:
    try:
        return int((obj.get("metadata", {}).get("annotations") or {}).get(REVISION_ANNOTATION, 0))
    except (TypeError, ValueError):
        return 0


def connection_of(target: str | KubeConnection, token: str | None = None, verify: bool | str = True) -> KubeConnection:
    """``target`` itself, or the server at URL ``target`` with a fixed ``token`` (``verify`` may name a CA file)."""
    return target if isinstance(target, KubeConnection) else static_connection(target, token, verify)


class KubeApi:
    """Requests against an API server (in-cluster, from a kubeconfig, or a URL such as ``kubectl proxy``'s),
    listing within ``namespaces`` when given (see the module's docstring)."""

    def __init__(
        self,
        connection: KubeConnection,
        client: httpx.Client | None = None,
        timeout_s: float = 10.0,
        namespaces: Sequence[str] = (),
    ) -> None:
        self.connection = connection
        self.url = connection.url.rstrip("/")
        self.client = client or connection.client(timeout_s)
        self.namespaces = [check_name(ns, "namespace") for ns in dict.fromkeys(namespaces)]
        home = connection.namespace
        self.home_namespace = check_name(home, "namespace") if home else None
        self._forbidden_cluster_wide: set[str] = set()

    def _send(
        self, method: str, path: str, params: dict[str, str] | None, json_body: Any, content_type: str | None
    ) -> httpx.Response:
        headers = {"Accept": "application/json"}
        authorization = self.connection.credentials.authorization() if self.connection.credentials else None
        if authorization:
            headers["Authorization"] = authorization
        if content_type:
            headers["Content-Type"] = content_type
        server_name = self.connection.server_name
        try:
            return self.client.request(
                method,
                f"{self.url}{path}",
                params=params,
                json=json_body,
                headers=headers,
                extensions={"sni_hostname": server_name} if server_name else None,
            )
        except httpx.HTTPError as exc:
            raise BackendError(f"Kubernetes API at {self.url} unreachable: {exc}") from exc

    def request(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        content_type: str | None = None,
    ) -> Any:
        response = self._send(method, path, params, json_body, content_type)
        credentials = self.connection.credentials
        if response.status_code == 401 and credentials is not None and credentials.refresh():
            response = self._send(method, path, params, json_body, content_type)  # a rotated token
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text[:200])
            except ValueError:
                message = response.text[:200]
            raise KubeApiError(
                f"Kubernetes API {method} {path}: {response.status_code} {message}", response.status_code
            )
        return response.json() if response.content else {}

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def items(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        return list(self.get(path, params).get("items") or [])

    def items_in_scope(self, api: str, resource: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Every ``resource`` (``pods``) of ``api`` (``/api/v1``, ``/apis/apps/v1``) Andon may read: from each
        configured namespace, else cluster-wide, else — cluster-wide forbidden — from the home namespace."""
        if self.namespaces:
            return [item for ns in self.namespaces for item in self.items(f"{api}/namespaces/{ns}/{resource}", params)]
        key = f"{api}/{resource}"
        if key not in self._forbidden_cluster_wide:
            try:
                return self.items(key, params)
            except KubeApiError as exc:
                if exc.status != 403 or not self.home_namespace:
                    raise
                self._forbidden_cluster_wide.add(key)
                log.warning(
                    "%s across the cluster is forbidden (%s); reading namespace %s only",
                    resource,
                    exc,
                    self.home_namespace,
                )
        return self.items(f"{api}/namespaces/{self.home_namespace}/{resource}", params)

    def _deployment_named(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return dict(
                self.get(
                    f"/apis/apps/v1/namespaces/{check_name(namespace, 'namespace')}"
                    f"/deployments/{check_name(name, 'deployment name')}"
                )
            )
        except KubeApiError as exc:
            if exc.status != 404:
                raise
            return None

    def find_deployment(self, service: str, namespace: str | None = None) -> dict[str, Any] | None:
        """The Deployment named ``service`` (or labelled with it), in ``namespace`` or, without one, in the
        namespaces Andon reads (the whole cluster when none are set)."""
        namespaces = [check_name(namespace, "namespace")] if namespace else self.namespaces
        if len(namespaces) == 1:
            named = self._deployment_named(namespaces[0], service)
            if named is not None:
                return named
        if namespaces:
            deployments = [d for ns in namespaces for d in self.items(f"/apis/apps/v1/namespaces/{ns}/deployments")]
        else:
            deployments = self.items_in_scope("/apis/apps/v1", "deployments")
        candidates = [
            d
            for d in deployments
            if d.get("metadata", {}).get("name") == service
            or service_of(d.get("metadata", {}), "Deployment") == service
        ]
        found_in = {d["metadata"].get("namespace") for d in candidates}
        if len(found_in) > 1:
            raise ValueError(
                f"deployment {service!r} exists in several namespaces ({', '.join(sorted(map(str, found_in)))}); "
                "name the namespace"
            )
        exact = [d for d in candidates if d["metadata"].get("name") == service]
        found = exact or candidates
        return found[0] if found else None

    def replicasets_of(self, deployment: dict[str, Any]) -> list[dict[str, Any]]:
        """The ReplicaSets a Deployment owns, oldest revision first."""
        meta = deployment.get("metadata", {})
        selector = (deployment.get("spec", {}).get("selector") or {}).get("matchLabels") or {}
        params = {"labelSelector": ",".join(f"{k}={v}" for k, v in sorted(selector.items()))} if selector else None

        def owned(rs: dict[str, Any]) -> bool:
            return any(
                ref.get("kind") == "Deployment"
                and ref.get("name") == meta.get("name")
                and (not ref.get("uid") or not meta.get("uid") or ref.get("uid") == meta.get("uid"))
                for ref in rs.get("metadata", {}).get("ownerReferences") or []
            )

        path = f"/apis/apps/v1/namespaces/{meta.get('namespace', 'default')}/replicasets"
        return sorted((rs for rs in self.items(path, params) if owned(rs)), key=revision_of)
