"""The plain manifests in deploy/kubernetes: valid for the Kubernetes API, the chart's default render (so
kept in step with it), and only variables Andon reads, in the chart's values too."""

from __future__ import annotations

from typing import Any

import yaml

from tests.deploy.conftest import CHART, ROOT, Render
from tests.deploy.manifests import CLUSTER_SCOPED, by_kind, check_release, documents, setting_env_names

MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))
HELM_ONLY_LABELS = ("helm.sh/chart", "app.kubernetes.io/managed-by")


def _plain() -> list[dict[str, Any]]:
    return [obj for path in MANIFESTS for obj in documents(path.read_text())]


def _without_helm_labels(obj: dict[str, Any]) -> dict[str, Any]:
    labels = obj["metadata"].get("labels", {})
    for label in HELM_ONLY_LABELS:
        labels.pop(label, None)
    return obj


def test_plain_manifests_are_valid_in_namespace_andon() -> None:
    assert MANIFESTS, "deploy/kubernetes has no manifests"
    objects = _plain()
    check_release(objects)
    assert objects[0]["kind"] == "Namespace" and objects[0]["metadata"]["name"] == "andon"
    for obj in objects:
        if obj["kind"] not in CLUSTER_SCOPED:
            assert obj["metadata"]["namespace"] == "andon", obj["metadata"]
        assert not set(HELM_ONLY_LABELS) & set(obj["metadata"].get("labels", {})), "kubectl, not Helm, manages these"
    kinds = [obj["kind"] for obj in objects]
    assert kinds.index("ServiceAccount") < kinds.index("Deployment"), "the pod's ServiceAccount comes first"


def test_plain_manifests_are_the_charts_default_render(render: Render) -> None:
    chart = [_without_helm_labels(obj) for obj in render()]
    plain = [obj for obj in _plain() if obj["kind"] != "Namespace"]
    assert plain == chart, "deploy/kubernetes is out of date: run deploy/kubernetes/generate.sh"


def test_chart_values_name_only_andon_settings() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    settings = setting_env_names()
    assert set(values["env"]) <= settings, set(values["env"]) - settings
    assert set(values["secretEnv"]) <= settings, set(values["secretEnv"]) - settings
    assert {
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "OPENAI_API_KEY",
        "ANDON_WEBHOOK_TOKEN",
    } <= set(values["secretEnv"])
    assert {
        "ANDON_DATABASE_URL",
        "ANDON_CHROMA_URL",
        "OPENAI_BASE_URL",
        "ANDON_MODEL",
        "ANDON_PROMETHEUS_URL",
        "ANDON_ALERTMANAGER_URL",
        "ANDON_LOKI_URL",
    } <= set(values["env"])


def test_plain_deployment_reads_its_tokens_from_the_andon_secret() -> None:
    (deployment,) = by_kind(_plain(), "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    assert refs["SLACK_BOT_TOKEN"] == {"name": "andon", "key": "SLACK_BOT_TOKEN", "optional": True}
    assert refs["ANDON_WEBHOOK_TOKEN"]["name"] == "andon"
