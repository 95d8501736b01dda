"""Checks for Kubernetes manifests: each object against the Kubernetes API's models (the ``kubernetes``
client's), the Prometheus Operator's objects by hand, and the objects of one release against each other
(selectors, names, ports, the settings Andon reads)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client as kube
from pydantic import AliasChoices

from bot.settings import Settings

__all__ = [
    "CLUSTER_SCOPED",
    "by_kind",
    "check_object",
    "check_release",
    "documents",
    "env_names",
    "setting_env_names",
]

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}

_SERVICE_MONITOR_SPEC = {
    "selector",
    "endpoints",
    "namespaceSelector",
    "jobLabel",
    "targetLabels",
    "podTargetLabels",
    "sampleLimit",
    "attachMetadata",
}
_ENDPOINT = {
    "port",
    "targetPort",
    "path",
    "scheme",
    "interval",
    "scrapeTimeout",
    "honorLabels",
    "params",
    "relabelings",
    "metricRelabelings",
    "tlsConfig",
    "authorization",
    "bearerTokenSecret",
}
_RULE_GROUP = {"name", "interval", "rules", "limit", "partial_response_strategy", "query_offset", "labels"}
_RULE = {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}


def documents(text: str) -> list[dict[str, Any]]:
    """The objects of a multi-document YAML stream (empty documents left out)."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def by_kind(objects: Iterable[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj.get("kind") == kind]


def _differences(given: Any, parsed: Any, path: str = "") -> list[str]:
    """Where ``parsed`` (the object after a trip through the API models) lost or changed part of ``given``."""
    if isinstance(given, dict) and isinstance(parsed, dict):
        out = [f"{path}.{key}: unknown field" for key in given if key not in parsed and given[key] is not None]
        for key in given.keys() & parsed.keys():
            out += _differences(given[key], parsed[key], f"{path}.{key}")
        return out
    if isinstance(given, list) and isinstance(parsed, list) and len(given) == len(parsed):
        return [
            d for i, (g, p) in enumerate(zip(given, parsed, strict=True)) for d in _differences(g, p, f"{path}[{i}]")
        ]
    return [] if given == parsed else [f"{path}: {given!r} became {parsed!r}"]


def _model(data: Any, model: str) -> Any:
    """``data`` deserialized into the API model named ``model`` (``V1Deployment``), as the client does with a
    server's answer: missing required fields and wrong types raise; unknown fields are caught by a round trip."""
    api = kube.ApiClient()
    parsed = api._ApiClient__deserialize(data, model)  # type: ignore[attr-defined]
    lost = _differences(data, api.sanitize_for_serialization(parsed))
    if lost:
        raise AssertionError(f"{model}: " + "; ".join(lost))
    return parsed


def check_object(obj: dict[str, Any]) -> Any:
    """Validate one manifest: built-in kinds against their API model, Prometheus Operator kinds by hand.
    Returns the model (or the object itself for the operator's kinds)."""
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    assert api_version and kind, f"object without apiVersion/kind: {obj}"
    name = obj.get("metadata", {}).get("name")
    assert name, f"{kind} without metadata.name"
    if kind not in CLUSTER_SCOPED:
        assert obj["metadata"].get("namespace"), f"{kind}/{name} has no namespace"
    if api_version == "monitoring.coreos.com/v1":
        _model(obj["metadata"], "V1ObjectMeta")
        checks = {"ServiceMonitor": _check_service_monitor, "PrometheusRule": _check_prometheus_rule}
        assert kind in checks, f"unexpected monitoring.coreos.com kind {kind}"
        checks[kind](obj)
        return obj
    version = api_version.rsplit("/", 1)[-1]
    model_name = f"{version[:1].upper()}{version[1:]}{kind}"
    assert hasattr(kube, model_name), f"{api_version} {kind}: no such Kubernetes API model ({model_name})"
    return _model(obj, model_name)


def _check_service_monitor(obj: dict[str, Any]) -> None:
    spec = obj["spec"]
    assert set(obj) <= {"apiVersion", "kind", "metadata", "spec"}, sorted(obj)
    assert set(spec) <= _SERVICE_MONITOR_SPEC, f"unknown ServiceMonitor fields: {set(spec) - _SERVICE_MONITOR_SPEC}"
    _model(spec["selector"], "V1LabelSelector")
    assert set(spec.get("namespaceSelector", {})) <= {"any", "matchNames"}
    assert spec["endpoints"], "a ServiceMonitor without endpoints scrapes nothing"
    for endpoint in spec["endpoints"]:
        assert set(endpoint) <= _ENDPOINT, f"unknown endpoint fields: {set(endpoint) - _ENDPOINT}"
        assert isinstance(endpoint.get("port"), str), "endpoints name the Service's port"


def _check_prometheus_rule(obj: dict[str, Any]) -> None:
    groups = obj["spec"]["groups"]
    assert set(obj["spec"]) == {"groups"} and groups
    for group in groups:
        assert set(group) <= _RULE_GROUP and group["name"] and group["rules"], group
        for rule in group["rules"]:
            assert set(rule) <= _RULE, f"unknown rule fields: {set(rule) - _RULE}"
            assert ("alert" in rule) != ("record" in rule), f"a rule is an alert or a record: {rule}"
            assert isinstance(rule["expr"], str) and rule["expr"].strip()
    promtool = shutil.which("promtool")
    if promtool:  # the real parser: PromQL, durations, templates in annotations
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "rules.yaml"
            path.write_text(yaml.safe_dump({"groups": groups}))
            done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr


def setting_env_names() -> set[str]:
    """Every environment variable Andon's settings read: ``ANDON_<FIELD>`` or the field's aliases."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(f"{prefix}{field_name}".upper())
    return names


def env_names(deployment: dict[str, Any]) -> list[str]:
    return [
        env["name"]
        for container in deployment["spec"]["template"]["spec"]["containers"]
        for env in container.get("env", [])
    ]


def check_release(objects: list[dict[str, Any]]) -> None:
    """Every object valid, and the objects consistent with each other and with Andon."""
    for obj in objects:
        check_object(obj)
    keys = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects]
    assert len(keys) == len(set(keys)), f"duplicate objects: {keys}"
    names = {(kind, ns, name) for kind, ns, name in keys}
    settings = setting_env_names()
    for deployment in by_kind(objects, "Deployment"):
        _check_deployment(deployment, names, settings)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        ns = deployment["metadata"]["namespace"]
        services = [
            s
            for s in by_kind(objects, "Service")
            if s["metadata"]["namespace"] == ns and s["spec"]["selector"].items() <= labels.items()
        ]
        assert services, "no Service selects the Deployment's pods"
        for monitor in by_kind(objects, "ServiceMonitor"):
            selected = [
                s
                for s in services
                if monitor["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
            ]
            assert selected, "the ServiceMonitor selects no Service of the release"
            ports = {p["name"] for s in selected for p in s["spec"]["ports"]}
            assert {e["port"] for e in monitor["spec"]["endpoints"]} <= ports
    for binding in by_kind(objects, "RoleBinding") + by_kind(objects, "ClusterRoleBinding"):
        ref = binding["roleRef"]
        ns = binding["metadata"].get("namespace") if ref["kind"] == "Role" else None
        assert (ref["kind"], ns, ref["name"]) in names, f"{binding['metadata']['name']} binds a missing {ref}"
        for subject in binding["subjects"]:
            assert ("ServiceAccount", subject["namespace"], subject["name"]) in names, subject


def _check_deployment(deployment: dict[str, Any], names: set[tuple[str, Any, str]], settings: set[str]) -> None:
    ns = deployment["metadata"]["namespace"]
    pod = deployment["spec"]["template"]["spec"]
    assert ("ServiceAccount", ns, pod["serviceAccountName"]) in names, "the pod's ServiceAccount is not in the release"
    assert pod["securityContext"]["runAsNonRoot"] is True
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for container in pod.get("initContainers", []) + pod["containers"]:
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, container["name"]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, container["name"]
        for mount in container.get("volumeMounts", []):
            assert mount["name"] in volumes, f"{container['name']} mounts a missing volume {mount['name']}"
    (andon,) = [c for c in pod["containers"] if c["name"] == "andon"]
    args = andon["args"]
    assert args[:1] == ["serve"] and args[args.index("--mode") + 1] in ("socket", "http")
    port = int(args[args.index("--port") + 1])
    assert {"name": "http", "containerPort": port, "protocol": "TCP"} in andon["ports"]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert andon[probe]["httpGet"] == {"path": "/healthz", "port": "http"}, probe
    env = {e["name"]: e for e in andon["env"]}
    assert len(env) == len(andon["env"]), "a variable is set twice"
    unknown = set(env) - settings
    assert not unknown, f"variables that are no Andon setting: {sorted(unknown)}"
    data_dir = env["ANDON_DATA_DIR"]["value"]
    mounts = {m["mountPath"]: m["name"] for m in andon["volumeMounts"]}
    assert data_dir in mounts and "/tmp" in mounts, "the data dir and /tmp must be writable volumes"
    for variable in env.values():
        ref = variable.get("valueFrom", {}).get("secretKeyRef")
        if ref and not ref.get("optional"):
            assert ("Secret", ns, ref["name"]) in names, f"{variable['name']} needs a Secret that is not in the release"
    for volume in volumes.values():
        if "secret" in volume:
            assert ("Secret", ns, volume["secret"]["secretName"]) in names, volume
