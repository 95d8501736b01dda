"""The Helm chart, rendered by the real ``helm template``: every object valid for the Kubernetes API, the
defaults least-privileged, each opt-in adding exactly its objects, bad values refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.conftest import Render, template
from tests.deploy.manifests import by_kind, check_release

EVERYTHING = (
    "--set",
    "mode=http",
    "--set",
    "replicaCount=2",
    "--set",
    "env.ANDON_DATABASE_URL=postgresql://andon@postgres.db.svc/andon",
    "--set",
    "env.ANDON_CHROMA_URL=http://chroma.db.svc:8000",
    "--set",
    "env.ANDON_REASONER=llm",
    "--set",
    "env.ANDON_MODEL=qwen2.5-7b-instruct",
    "--set",
    "env.OPENAI_BASE_URL=http://vllm.llm.svc:8000/v1",
    "--set",
    "env.ANDON_PROMETHEUS_URL=http://prometheus-operated.monitoring.svc:9090",
    "--set",
    "env.ANDON_ALERTMANAGER_URL=http://alertmanager-operated.monitoring.svc:9093",
    "--set",
    "env.ANDON_LOKI_URL=http://loki-gateway.monitoring.svc",
    "--set",
    "env.ANDON_MAX_STEPS=8",
    "--set",
    "rbac.readNodes=true",
    "--set",
    "rbac.actions.enabled=true",
    "--set",
    "rbac.actions.namespaces={shop,payments}",
    "--set",
    "serviceMonitor.enabled=true",
    "--set",
    "serviceMonitor.labels.release=kube-prometheus-stack",
    "--set",
    "prometheusRule.enabled=true",
    "--set",
    "persistence.existingClaim=andon-data",
)


def _andon(objects: list[dict]) -> dict:
    (deployment,) = by_kind(objects, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _env(objects: list[dict]) -> dict[str, dict]:
    return {e["name"]: e for e in _andon(objects)["env"]}


def test_default_render_is_valid_and_least_privileged(render: Render) -> None:
    objects = render()
    check_release(objects)
    assert sorted(o["kind"] for o in objects) == [
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "Service",
        "ServiceAccount",
    ]
    (role,) = by_kind(objects, "ClusterRole")
    assert {v for rule in role["rules"] for v in rule["verbs"]} == {"get", "list", "watch"}
    assert {r for rule in role["rules"] for r in rule["resources"]} == {"pods", "events", "deployments", "replicasets"}
    assert _andon(objects)["args"] == ["serve", "--mode", "socket", "--host", "0.0.0.0", "--port", "3000"]


def test_default_deployment_runs_hardened_with_writable_data_dir(render: Render) -> None:
    objects = render()
    (deployment,) = by_kind(objects, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is True  # Andon reads the mounted, rotating token itself
    andon = _andon(objects)
    assert andon["securityContext"]["readOnlyRootFilesystem"] is True
    assert andon["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in andon["volumeMounts"]}
    assert volumes[mounts[_env(objects)["ANDON_DATA_DIR"]["value"]]]["emptyDir"] == {}
    assert volumes[mounts["/tmp"]]["emptyDir"] == {}


def test_tokens_come_from_the_secret_by_reference(render: Render) -> None:
    env = _env(render("--set", "existingSecret=andon-slack"))
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "OPENAI_API_KEY", "ANDON_WEBHOOK_TOKEN"):
        assert "value" not in env[name]
        assert env[name]["valueFrom"]["secretKeyRef"] == {"name": "andon-slack", "key": name, "optional": True}


def test_kubernetes_access_is_the_mounted_service_account_found_in_cluster(render: Render) -> None:
    objects = render()
    pod = by_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is True
    assert not by_kind(objects, "Secret"), "no long-lived token Secret: the kubelet mounts a rotating one"
    assert not {"ANDON_KUBERNETES_URL", "ANDON_KUBERNETES_TOKEN", "ANDON_KUBERNETES_NAMESPACES", "SSL_CERT_FILE"} & set(
        _env(objects)
    )
    assert "initContainers" not in pod
    (account,) = by_kind(objects, "ServiceAccount")
    assert "automountServiceAccountToken" not in account

    without = render("--set", "kubernetes.enabled=false")
    check_release(without)
    assert by_kind(without, "Deployment")[0]["spec"]["template"]["spec"]["automountServiceAccountToken"] is False
    assert sorted(o["kind"] for o in without) == ["Deployment", "Service", "ServiceAccount"]  # no token, no grants


def test_namespaces_read_through_a_role_in_each(render: Render) -> None:
    objects = render("--set", "kubernetes.namespaces={shop,payments}")
    check_release(objects)
    assert _env(objects)["ANDON_KUBERNETES_NAMESPACES"]["value"] == "shop,payments"
    assert not by_kind(objects, "ClusterRole") and not by_kind(objects, "ClusterRoleBinding")
    roles = by_kind(objects, "Role")
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["payments", "shop"]
    for role in roles:
        assert role["rules"] == [
            {"apiGroups": [""], "resources": ["pods", "events"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["apps"], "resources": ["deployments", "replicasets"], "verbs": ["get", "list", "watch"]},
        ]
    bindings = by_kind(objects, "RoleBinding")
    assert sorted((b["metadata"]["namespace"], b["roleRef"]["name"]) for b in bindings) == [
        ("payments", "andon-read"),
        ("shop", "andon-read"),
    ]

    with_nodes = render(
        "--set", "kubernetes.namespaces={shop}", "--set", "rbac.readNodes=true", "--set", "rbac.actions.enabled=true"
    )
    check_release(with_nodes)
    (cluster_role,) = by_kind(with_nodes, "ClusterRole")
    assert cluster_role["rules"] == [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]}]
    actions = [r for r in by_kind(with_nodes, "Role") if r["metadata"]["name"].endswith("-actions")]
    assert [r["metadata"]["namespace"] for r in actions] == ["shop"]  # actions default to the namespaces read


def test_everything_enabled_is_valid(render: Render) -> None:
    objects = render(*EVERYTHING)
    check_release(objects)
    kinds = sorted(o["kind"] for o in objects)
    assert kinds.count("Role") == kinds.count("RoleBinding") == 2
    assert {"ServiceMonitor", "PrometheusRule"} <= set(kinds)
    assert _andon(objects)["args"][2] == "http"
    assert by_kind(objects, "Deployment")[0]["spec"]["replicas"] == 2
    env = _env(objects)
    assert env["ANDON_DATABASE_URL"]["value"].startswith("postgresql://")
    assert env["OPENAI_BASE_URL"]["value"] == "http://vllm.llm.svc:8000/v1"
    assert env["ANDON_MAX_STEPS"]["value"] == "8"
    volumes = by_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]["volumes"]
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "andon-data"}} in volumes


def test_opt_ins_grant_exactly_their_permissions(render: Render) -> None:
    objects = render(*EVERYTHING)
    (cluster_role,) = by_kind(objects, "ClusterRole")
    node_rules = [rule for rule in cluster_role["rules"] if "nodes" in rule["resources"]]
    assert node_rules == [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]}]
    roles = by_kind(objects, "Role")
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["payments", "shop"]
    for role in roles:
        assert role["rules"] == [
            {"apiGroups": ["apps"], "resources": ["deployments", "deployments/scale"], "verbs": ["get", "patch"]}
        ]
    for binding in by_kind(objects, "RoleBinding"):
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "andon", "namespace": "andon"}]
    (default_actions,) = by_kind(render("--set", "rbac.actions.enabled=true"), "Role")
    assert default_actions["metadata"]["namespace"] == "andon"


def test_monitoring_objects_target_the_metrics_endpoint(render: Render) -> None:
    objects = render(*EVERYTHING)
    (monitor,) = by_kind(objects, "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s"}]
    (rule,) = by_kind(objects, "PrometheusRule")
    exprs = " ".join(r["expr"] for g in rule["spec"]["groups"] for r in g["rules"])
    for metric in ("up{", "andon_investigations_total", "andon_investigation_duration_seconds_bucket"):
        assert metric in exprs
    assert 'job="andon", namespace="andon"' in exprs


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--set", "mode=websocket"), "mode must be socket or http"),
        (("--set", "replicaCount=3"), "needs ANDON_DATABASE_URL"),
        (("--set", "serviceAccount.create=false"), "serviceAccount.name is needed"),
    ],
)
def test_bad_values_are_refused(helm: str, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = template(helm, tmp_path, *args)
    assert done.returncode != 0 and message in done.stderr


def test_replicas_may_share_a_database_url_kept_in_the_secret(render: Render) -> None:
    objects = render("--set", "replicaCount=2", "--set", "secretEnv={SLACK_BOT_TOKEN,ANDON_DATABASE_URL}")
    check_release(objects)
    assert _env(objects)["ANDON_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "ANDON_DATABASE_URL"
