"""The Kubernetes API as a source: pods (restarts, CrashLoopBackOff, OOMKilled), events, nodes and a
Deployment's rollout history (its ReplicaSets, one per revision, the image tag as the version).

Reads ``/api/v1/namespaces/{ns}/pods`` for each namespace it is given (``/api/v1/pods`` with none; see
:mod:`tools.sources.kubeapi` for the fallback to the home namespace), ``…/events``, ``/api/v1/nodes`` and
``/apis/apps/v1/namespaces/{ns}/deployments`` and ``…/replicasets``. Objects are attributed to a service
by their ``app.kubernetes.io/name`` or ``app`` label. Nodes are cluster-scoped: when the server forbids
reading them, :meth:`KubernetesSource.nodes` returns none and says why in ``nodes_unreadable``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from tools.sources.base import KubeEvent, PodStatus
from tools.sources.kubeapi import KubeApi, KubeApiError, connection_of, image_tag, revision_of, service_of
from tools.sources.kubeconnection import KubeConnection
from tools.sources.prometheus import BackendError
from tools.sources.timespec import parse_instant

__all__ = ["KubernetesSource", "pod_status", "kube_event", "node_summary"]

_BENIGN_WAITING = {"ContainerCreating", "PodInitializing"}
_EVENT_TIME_KEYS = ("lastTimestamp", "eventTime", "firstTimestamp")


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


def _reasons(status: dict[str, Any]) -> list[str]:
    """Why a pod is unhealthy: waiting reasons (CrashLoopBackOff, ImagePullBackOff), terminations
    (OOMKilled, Error) now or last time, eviction, unschedulability."""
    reasons = [str(status.get("reason") or "")]
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            reasons.append(str(condition.get("reason") or "Unschedulable"))
    for container in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        state = container.get("state") or {}
        waiting = str((state.get("waiting") or {}).get("reason") or "")
        if waiting not in _BENIGN_WAITING:
            reasons.append(waiting)
        for terminated in (state.get("terminated") or {}, (container.get("lastState") or {}).get("terminated") or {}):
            if terminated.get("reason") != "Completed":
                reasons.append(str(terminated.get("reason") or ""))
    return _dedupe(reasons)


def pod_status(pod: dict[str, Any]) -> PodStatus:
    """A PodList item as a :class:`PodStatus`."""
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    restarts = sum(int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or [])
    return PodStatus(
        name=str(meta.get("name", "")),
        service=service_of(meta, "Pod"),
        phase=str(status.get("phase") or "Unknown"),
        ready=ready,
        restarts=restarts,
        reasons=_reasons(status),
        node=str((pod.get("spec") or {}).get("nodeName") or ""),
    )


def _event_time(event: dict[str, Any]) -> float:
    candidates = [event.get(key) for key in _EVENT_TIME_KEYS]
    candidates.insert(1, (event.get("series") or {}).get("lastObservedTime"))
    candidates.append((event.get("metadata") or {}).get("creationTimestamp"))
    for value in candidates:
        if value:
            try:
                return parse_instant(value)
            except ValueError:
                continue
    return 0.0


def kube_event(event: dict[str, Any], service: str) -> KubeEvent:
    """An EventList item as a :class:`KubeEvent` attributed to ``service``."""
    involved = event.get("involvedObject") or event.get("regarding") or {}
    return KubeEvent(
        ts=_event_time(event),
        service=service,
        reason=str(event.get("reason") or ""),
        message=str(event.get("message") or event.get("note") or ""),
        object=f"{involved.get('kind', '')}/{involved.get('name', '')}".lower(),
        type=str(event.get("type") or "Normal"),
    )


def node_summary(node: dict[str, Any]) -> dict[str, Any]:
    """A NodeList item as ``{name, ready, zone, unschedulable, problems, conditions}``."""
    conditions = [
        {
            "type": c.get("type"),
            "status": c.get("status"),
            "reason": c.get("reason", ""),
            "message": c.get("message", ""),
        }
        for c in (node.get("status") or {}).get("conditions") or []
    ]
    ready = any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
    problems = [c["type"] for c in conditions if c["type"] != "Ready" and c["status"] == "True"]
    if not ready:
        problems.insert(0, "NotReady")
    metadata = node.get("metadata") or {}
    labels = metadata.get("labels") or {}
    zone = labels.get("topology.kubernetes.io/zone") or labels.get("failure-domain.beta.kubernetes.io/zone") or ""
    return {
        "name": metadata.get("name", ""),
        "ready": ready,
        "zone": zone,
        "unschedulable": bool((node.get("spec") or {}).get("unschedulable")),
        "problems": problems,
        "conditions": conditions,
    }


class KubernetesSource:
    """A Kubernetes source over the REST API: ``target`` is a URL (with ``token``) or a :class:`KubeConnection`
    (in-cluster, kubeconfig); without ``namespaces`` it reads the whole cluster."""

    def __init__(
        self,
        target: str | KubeConnection,
        token: str | None = None,
        namespaces: Sequence[str] = (),
        client: httpx.Client | None = None,
        timeout_s: float = 10.0,
        verify: bool | str = True,
    ) -> None:
        self.api = KubeApi(connection_of(target, token, verify), client, timeout_s, namespaces)
        self.nodes_unreadable = ""
        """Why :meth:`nodes` returned none (the server's 403), or empty."""

    def pods(self, service: str | None = None) -> list[PodStatus]:
        pods = [pod_status(item) for item in self.api.items_in_scope("/api/v1", "pods")]
        return [p for p in pods if service is None or p.service == service]

    def events(self, since: float, service: str | None = None) -> list[KubeEvent]:
        items = self.api.items_in_scope("/api/v1", "events")
        pod_services: dict[str, str] | None = None
        out = []
        for item in items:
            involved = item.get("involvedObject") or item.get("regarding") or {}
            kind, name = str(involved.get("kind", "")), str(involved.get("name", ""))
            if kind == "Pod":
                if pod_services is None:
                    pod_services = self._pod_services()
                owner = pod_services.get(f"{involved.get('namespace', '')}/{name}") or service_of({"name": name}, "Pod")
            elif kind == "Node":
                owner = ""
            else:
                owner = service_of({"name": name}, kind)
            event = kube_event(item, owner)
            if event.ts >= since and (service is None or event.service == service):
                out.append(event)
        return sorted(out, key=lambda e: e.ts)

    def _pod_services(self) -> dict[str, str]:
        try:
            items = self.api.items_in_scope("/api/v1", "pods")
        except BackendError:
            return {}
        return {
            f"{(p.get('metadata') or {}).get('namespace', '')}/{(p.get('metadata') or {}).get('name', '')}": service_of(
                p.get("metadata") or {}, "Pod"
            )
            for p in items
        }

    def nodes(self) -> list[dict[str, Any]]:
        """Every node, or none when the server forbids listing them (a namespaced Role): an investigation
        goes on without them."""
        try:
            items = self.api.items("/api/v1/nodes")
        except KubeApiError as exc:
            if exc.status != 403:
                raise
            self.nodes_unreadable = str(exc)
            return []
        self.nodes_unreadable = ""
        return [node_summary(item) for item in items]

    def rollout_history(self, service: str) -> list[dict[str, Any]]:
        """One entry per revision, oldest first: ``{revision, version, previous_version, image, replicaset, at,
        current}``."""
        deployment = self.api.find_deployment(service)
        if deployment is None:
            return []
        current = revision_of(deployment)
        history: list[dict[str, Any]] = []
        for rs in self.api.replicasets_of(deployment):
            containers = ((rs.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or [{}]
            image = str(containers[0].get("image", ""))
            created = (rs.get("metadata") or {}).get("creationTimestamp")
            history.append(
                {
                    "revision": revision_of(rs),
                    "version": image_tag(image) if image else "",
                    "previous_version": history[-1]["version"] if history else "",
                    "image": image,
                    "replicaset": rs.get("metadata", {}).get("name", ""),
                    "replicas": int((rs.get("status") or {}).get("replicas") or 0),
                    "at": parse_instant(created) if created else None,
                    "current": revision_of(rs) == current,
                }
            )
        return history
