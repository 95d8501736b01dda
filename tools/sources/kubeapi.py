"""The slice of the Kubernetes REST API that both the Kubernetes source and actuator speak: requests
with a bearer token, clear errors, finding a service's Deployment and its ReplicaSets (revisions)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tools.sources.prometheus import BackendError

__all__ = [
    "KubeApi",
    "KubeApiError",
    "REVISION_ANNOTATION",
    "check_name",
    "image_tag",
    "revision_of",
    "service_of",
]

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
_SERVICE_LABELS = ("app.kubernetes.io/name", "app", "k8s-app")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_POD_SUFFIX = re.compile(r"^(?P<base>.+)-[a-z0-9]{5,10}-[a-z0-9]{5}$")
_ORDINAL_SUFFIX = re.compile(r"^(?P<base>.+)-\d+$")
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
    without the generated suffix (``checkout-7d9f8b6c5d-x2x7q`` → ``checkout``)."""
    labels = metadata.get("labels") or {}
    for key in _SERVICE_LABELS:
        if labels.get(key):
            return str(labels[key])
    name = str(metadata.get("name", ""))
    patterns = {"Pod": (_POD_SUFFIX, _ORDINAL_SUFFIX), "ReplicaSet": (_RS_SUFFIX,)}.get(kind, ())
    for pattern in patterns:
        match = pattern.match(name)
        if match:
            return match.group("base")
    return name


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


class KubeApi:
    """Requests against an API server (``https://kubernetes.default.svc`` in-cluster, or ``kubectl proxy``)."""

    def __init__(self, url: str, token: str | None = None, client: httpx.Client | None = None,
                 timeout_s: float = 10.0, verify: bool | str = True) -> None:
        self.url = url.rstrip("/")
        self.client = client or httpx.Client(timeout=timeout_s, verify=verify)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, params: dict[str, str] | None = None, json_body: Any = None,
                content_type: str | None = None) -> Any:
        headers = {"Accept": "application/json", **self.headers}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            response = self.client.request(method, f"{self.url}{path}", params=params, json=json_body, headers=headers)
        except httpx.HTTPError as exc:
            raise BackendError(f"Kubernetes API at {self.url} unreachable: {exc}") from exc
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text[:200])
            except ValueError:
                message = response.text[:200]
            raise KubeApiError(f"Kubernetes API {method} {path}: {response.status_code} {message}", response.status_code)
        return response.json() if response.content else {}

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def items(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        return list(self.get(path, params).get("items") or [])

    def find_deployment(self, service: str, namespace: str | None) -> dict[str, Any] | None:
        """The Deployment named ``service`` (or labelled with it), in ``namespace`` or, without one, any namespace."""
        if namespace:
            try:
                return dict(self.get(f"/apis/apps/v1/namespaces/{check_name(namespace, 'namespace')}"
                                     f"/deployments/{check_name(service, 'deployment name')}"))
            except KubeApiError as exc:
                if exc.status != 404:
                    raise
            path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
        else:
            path = "/apis/apps/v1/deployments"
        candidates = [d for d in self.items(path)
                      if d.get("metadata", {}).get("name") == service or service_of(d.get("metadata", {}), "Deployment") == service]
        namespaces = {d["metadata"].get("namespace") for d in candidates}
        if len(namespaces) > 1:
            raise ValueError(f"deployment {service!r} exists in several namespaces ({', '.join(sorted(map(str, namespaces)))}); "
                             "name the namespace")
        exact = [d for d in candidates if d["metadata"].get("name") == service]
        found = exact or candidates
        return found[0] if found else None

    def replicasets_of(self, deployment: dict[str, Any]) -> list[dict[str, Any]]:
        """The ReplicaSets a Deployment owns, oldest revision first."""
        meta = deployment.get("metadata", {})
        selector = (deployment.get("spec", {}).get("selector") or {}).get("matchLabels") or {}
        params = {"labelSelector": ",".join(f"{k}={v}" for k, v in sorted(selector.items()))} if selector else None
        def owned(rs: dict[str, Any]) -> bool:
            return any(ref.get("kind") == "Deployment" and ref.get("name") == meta.get("name")
                       and (not ref.get("uid") or not meta.get("uid") or ref.get("uid") == meta.get("uid"))
                       for ref in rs.get("metadata", {}).get("ownerReferences") or [])

        path = f"/apis/apps/v1/namespaces/{meta.get('namespace', 'default')}/replicasets"
        return sorted((rs for rs in self.items(path, params) if owned(rs)), key=revision_of)
