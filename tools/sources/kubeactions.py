"""Kubernetes actions through the REST API, as ``kubectl`` performs them:

- restart_service: strategic-merge PATCH of the Deployment's pod template annotation
  ``kubectl.kubernetes.io/restartedAt`` (``kubectl rollout restart``);
- scale_service: merge PATCH of ``…/deployments/{name}/scale``, absolute (``6``) or relative (``+2``);
- rollback_deploy: JSON-patch the Deployment's pod template to the template of the previous
  ReplicaSet revision, or the one whose image tag is ``to_version`` (``kubectl rollout undo``);
- cordon_node: strategic-merge PATCH ``{"spec": {"unschedulable": true}}`` of the Node.

A dry run sends the same request with ``dryRun=All``: the API server validates and admits it
without persisting anything.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from tools.sources.kubeapi import KubeApi, check_name, connection_of, image_tag, revision_of
from tools.sources.kubeconnection import KubeConnection

__all__ = ["ActionError", "KUBERNETES_ACTIONS", "KubernetesActuator", "target_replicas"]

KUBERNETES_ACTIONS = frozenset({"restart_service", "scale_service", "rollback_deploy", "cordon_node"})
STRATEGIC_MERGE = "application/strategic-merge-patch+json"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
_TEMPLATE_HASH = "pod-template-hash"


class ActionError(ValueError):
    """An action that cannot be carried out as asked (unknown target, bad argument, nothing to do)."""


def target_replicas(spec: object, current: int, maximum: int) -> int:
    """The replica count ``spec`` asks for: ``"6"`` absolute, ``"+2"``/``"-1"`` relative to ``current``."""
    text = str(spec).strip()
    try:
        number = int(text)
    except ValueError as exc:
        raise ActionError(f"replicas must be a count like '6' or a change like '+2', not {spec!r}") from exc
    target = current + number if text[:1] in "+-" else number
    if target < 1:
        raise ActionError(f"refusing to scale to {target} replicas (that is an outage; use a runbook for it)")
    if target > maximum:
        raise ActionError(f"refusing to scale to {target} replicas (more than the limit of {maximum})")
    return target


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list(((obj.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or [])


def _versions(obj: dict[str, Any]) -> set[str]:
    images = [str(c.get("image", "")) for c in _containers(obj)]
    return {image for image in images if image} | {image_tag(image) for image in images if image}


def _version(obj: dict[str, Any]) -> str:
    containers = _containers(obj)
    return image_tag(str(containers[0].get("image", ""))) if containers else "?"


class KubernetesActuator:
    """Restarts, scales and rolls back Deployments and cordons Nodes; ``target`` is a URL (with ``token``) or
    a :class:`KubeConnection`. With ``namespaces``, Deployments are looked for, and acted on, only there."""

    actions = KUBERNETES_ACTIONS

    def __init__(
        self,
        target: str | KubeConnection,
        token: str | None = None,
        namespaces: Sequence[str] = (),
        client: httpx.Client | None = None,
        timeout_s: float = 15.0,
        verify: bool | str = True,
        max_replicas: int = 100,
    ) -> None:
        self.api = KubeApi(connection_of(target, token, verify), client, timeout_s, namespaces)
        self.max_replicas = max_replicas

    def execute(self, action: str, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        params = {"dryRun": "All"} if dry_run else None
        status = "dry_run" if dry_run else "done"
        if action == "cordon_node":
            node = check_name(str(args.get("node") or service), "node name")
            self.api.request(
                "PATCH",
                f"/api/v1/nodes/{node}",
                params=params,
                json_body={"spec": {"unschedulable": True}},
                content_type=STRATEGIC_MERGE,
            )
            return {
                "status": status,
                "detail": f"node {node} cordoned (unschedulable)",
                "undo": f"kubectl uncordon {node}",
            }
        if action not in self.actions:
            raise ActionError(f"the Kubernetes backend cannot {action}")
        deployment = self._deployment(service, args.get("namespace"))
        meta = deployment["metadata"]
        path = f"/apis/apps/v1/namespaces/{meta['namespace']}/deployments/{meta['name']}"
        if action == "restart_service":
            stamp = datetime.now(tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            body = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}}
            self.api.request("PATCH", path, params=params, json_body=body, content_type=STRATEGIC_MERGE)
            return {
                "status": status,
                "detail": f"rolling restart of deployment {meta['namespace']}/{meta['name']}",
                "undo": "none needed; pods come back with the same spec",
            }
        if action == "scale_service":
            return self._scale(path, meta, str(args.get("replicas", "+1")), params, status)
        return self._rollback(path, deployment, args.get("to_version"), params, status)

    def _deployment(self, service: str, asked: object) -> dict[str, Any]:
        namespace = check_name(str(asked), "namespace") if asked else None
        allowed = self.api.namespaces
        if namespace and allowed and namespace not in allowed:
            raise ActionError(f"namespace {namespace} is not one Andon may act in ({', '.join(allowed)})")
        deployment = self.api.find_deployment(check_name(service, "deployment name"), namespace)
        if deployment is None:
            where = (
                f"namespace {namespace}"
                if namespace
                else f"namespaces {', '.join(allowed)}"
                if allowed
                else "the cluster"
            )
            raise ActionError(f"no deployment for {service!r} in {where}")
        only = allowed[0] if len(allowed) == 1 else None
        deployment["metadata"].setdefault("namespace", namespace or only or self.api.home_namespace or "default")
        return deployment

    def _scale(
        self, path: str, meta: dict[str, Any], replicas: str, params: dict[str, str] | None, status: str
    ) -> dict[str, Any]:
        current = int((self.api.get(f"{path}/scale").get("spec") or {}).get("replicas") or 0)
        target = target_replicas(replicas, current, self.max_replicas)
        self.api.request(
            "PATCH", f"{path}/scale", params=params, json_body={"spec": {"replicas": target}}, content_type=MERGE_PATCH
        )
        return {
            "status": status,
            "detail": f"deployment {meta['name']} scaled from {current} to {target} replicas",
            "previous_replicas": current,
            "replicas": target,
            "undo": f"scale {meta['name']} back to {current} replicas",
        }

    def _rollback(
        self, path: str, deployment: dict[str, Any], to_version: object, params: dict[str, str] | None, status: str
    ) -> dict[str, Any]:
        name, current = deployment["metadata"]["name"], revision_of(deployment)
        revisions = self.api.replicasets_of(deployment)
        if to_version:
            wanted = str(to_version)
            matching = [rs for rs in revisions if wanted in _versions(rs)]
            if matching and all(revision_of(rs) == current for rs in matching):
                raise ActionError(f"{name} already runs {wanted} (revision {current}); nothing to roll back")
            candidates = [rs for rs in matching if revision_of(rs) != current]
            if not candidates:
                known = ", ".join(f"{revision_of(rs)}:{_version(rs)}" for rs in revisions) or "none"
                raise ActionError(f"no revision of {name} runs {wanted}; revisions: {known}")
        else:
            candidates = [rs for rs in revisions if revision_of(rs) < current]
            if not candidates:
                raise ActionError(f"{name} has no revision before {current} to roll back to")
        target = max(candidates, key=revision_of)
        template = copy.deepcopy((target.get("spec") or {}).get("template") or {})
        (template.get("metadata") or {}).get("labels", {}).pop(_TEMPLATE_HASH, None)
        self.api.request(
            "PATCH",
            path,
            params=params,
            json_body=[{"op": "replace", "path": "/spec/template", "value": template}],
            content_type=JSON_PATCH,
        )
        return {
            "status": status,
            "detail": f"deployment {name} rolled back from revision {current} ({_version(deployment)}) "
            f"to the template of revision {revision_of(target)} ({_version(target)})",
            "from_version": _version(deployment),
            "to_version": _version(target),
            "undo": f"redeploy {_version(deployment)} (kubectl rollout undo deployment/{name})",
        }
