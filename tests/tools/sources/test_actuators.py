"""Actuator backends against loopback servers: the exact method, path, query, content type and body
each action sends, dry runs (``dryRun=All``), refusals, and routing through the actuator tools."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.support.fakehttp import RecordedRequest, RecordingServer, Reply
from tools import ToolContext, default_registry
from tools.sources import Sources
from tools.sources.actuators import (
    ActionError,
    AlertmanagerActuator,
    CompositeActuator,
    HttpActuator,
    KubernetesActuator,
)
from tools.sources.alertmanager import AlertmanagerSource
from tools.sources.prometheus import BackendError
from tools.sources.timespec import parse_instant

DEPLOY = "/apis/apps/v1/namespaces/shop/deployments/checkout"


@pytest.fixture
def cluster(server: RecordingServer, wire: Any) -> RecordingServer:
    deployment = wire("k8s_deployment")
    server.route("GET", DEPLOY, deployment)
    server.route("GET", "/apis/apps/v1/namespaces/shop/deployments", {"kind": "DeploymentList", "items": [deployment]})
    server.route("PATCH", DEPLOY, deployment)
    server.route("GET", f"{DEPLOY}/scale", wire("k8s_scale"))
    server.route("PATCH", f"{DEPLOY}/scale", wire("k8s_scale"))
    server.route("GET", "/apis/apps/v1/namespaces/shop/replicasets", wire("k8s_replicasetlist"))
    server.route("PATCH", "/api/v1/nodes/node-b", wire("k8s_nodelist")["items"][1])
    return server


def _kube(server: RecordingServer) -> KubernetesActuator:
    return KubernetesActuator(server.url, token="t0ken", namespaces=["shop"])


def _patches(server: RecordingServer) -> list[RecordedRequest]:
    return server.received("PATCH")


def test_restart_patches_restarted_at_annotation(cluster: RecordingServer) -> None:
    outcome = _kube(cluster).execute("restart_service", "checkout", {}, dry_run=False)

    (patch,) = _patches(cluster)
    assert patch.path == DEPLOY and patch.query == {}
    assert patch.headers["content-type"] == "application/strategic-merge-patch+json"
    assert patch.headers["authorization"] == "Bearer t0ken"
    stamp = patch.json()["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
    assert abs(datetime.fromisoformat(stamp).timestamp() - datetime.now().timestamp()) < 60
    assert outcome["status"] == "done" and "shop/checkout" in outcome["detail"] and outcome["undo"]


def test_dry_runs_use_dry_run_all(cluster: RecordingServer) -> None:
    kube = _kube(cluster)
    outcomes = [
        kube.execute("restart_service", "checkout", {}, dry_run=True),
        kube.execute("scale_service", "checkout", {"replicas": "+2"}, dry_run=True),
        kube.execute("rollback_deploy", "checkout", {}, dry_run=True),
        kube.execute("cordon_node", "node-b", {"node": "node-b"}, dry_run=True),
    ]
    assert [p.param("dryRun") for p in _patches(cluster)] == ["All"] * 4
    assert {o["status"] for o in outcomes} == {"dry_run"}


def test_scale_relative_and_absolute(cluster: RecordingServer) -> None:
    kube = _kube(cluster)
    outcome = kube.execute("scale_service", "checkout", {"replicas": "+2"}, dry_run=False)
    kube.execute("scale_service", "checkout", {"replicas": "6"}, dry_run=False)
    kube.execute("scale_service", "checkout", {"replicas": "-1"}, dry_run=False)

    patches = _patches(cluster)
    assert {p.path for p in patches} == {f"{DEPLOY}/scale"}
    assert {p.headers["content-type"] for p in patches} == {"application/merge-patch+json"}
    assert [p.json() for p in patches] == [{"spec": {"replicas": n}} for n in (5, 6, 2)]
    assert outcome["previous_replicas"] == 3 and outcome["replicas"] == 5
    assert "back to 3" in outcome["undo"]


@pytest.mark.parametrize("replicas", ["-3", "0", "1000", "lots"])
def test_scale_refuses_outages_and_runaways(cluster: RecordingServer, replicas: str) -> None:
    with pytest.raises(ActionError):
        _kube(cluster).execute("scale_service", "checkout", {"replicas": replicas}, dry_run=False)
    assert _patches(cluster) == []


def test_rollback_to_previous_revision_template(cluster: RecordingServer) -> None:
    outcome = _kube(cluster).execute("rollback_deploy", "checkout", {}, dry_run=False)

    (patch,) = _patches(cluster)
    assert patch.path == DEPLOY and patch.headers["content-type"] == "application/json-patch+json"
    (operation,) = patch.json()
    assert operation["op"] == "replace" and operation["path"] == "/spec/template"
    template = operation["value"]
    assert template["spec"]["containers"][0]["image"] == "registry.example.com/shop/checkout:1.4.1"
    assert "env" not in template["spec"]["containers"][0]  # replaced, not merged into the 1.4.2 template
    assert template["metadata"]["labels"] == {"app.kubernetes.io/name": "checkout"}  # pod-template-hash dropped
    assert (outcome["from_version"], outcome["to_version"]) == ("1.4.2", "1.4.1")
    assert "revision 2" in outcome["detail"]


def test_rollback_to_named_version(cluster: RecordingServer) -> None:
    kube = _kube(cluster)
    outcome = kube.execute("rollback_deploy", "checkout", {"to_version": "1.4.0"}, dry_run=False)
    assert outcome["to_version"] == "1.4.0"
    image = _patches(cluster)[0].json()[0]["value"]["spec"]["containers"][0]["image"]
    assert image == "registry.example.com/shop/checkout:1.4.0"

    with pytest.raises(ActionError, match="already runs 1.4.2"):
        kube.execute("rollback_deploy", "checkout", {"to_version": "1.4.2"}, dry_run=False)
    with pytest.raises(
        ActionError, match=r"no revision of checkout runs 9\.9\.9; revisions: 1:1.4.0, 2:1.4.1, 3:1.4.2"
    ):
        kube.execute("rollback_deploy", "checkout", {"to_version": "9.9.9"}, dry_run=False)
    assert len(_patches(cluster)) == 1


def test_cordon_node(cluster: RecordingServer) -> None:
    outcome = _kube(cluster).execute("cordon_node", "", {"node": "node-b"}, dry_run=False)
    (patch,) = _patches(cluster)
    assert patch.path == "/api/v1/nodes/node-b"
    assert patch.headers["content-type"] == "application/strategic-merge-patch+json"
    assert patch.json() == {"spec": {"unschedulable": True}}
    assert outcome["undo"] == "kubectl uncordon node-b"


def test_unknown_targets_and_unsafe_names(cluster: RecordingServer) -> None:
    kube = _kube(cluster)
    with pytest.raises(ActionError, match="no deployment for 'inventory'"):
        kube.execute("restart_service", "inventory", {}, dry_run=False)
    with pytest.raises(ValueError, match="invalid Kubernetes node name"):
        kube.execute("cordon_node", "", {"node": "../../namespaces/kube-system"}, dry_run=False)
    with pytest.raises(ValueError, match="invalid Kubernetes namespace"):
        kube.execute("restart_service", "checkout", {"namespace": "shop/../kube-system"}, dry_run=False)
    assert _patches(cluster) == []


def test_scoped_namespaces_bound_where_actions_look_and_act(cluster: RecordingServer) -> None:
    cluster.route("GET", "/apis/apps/v1/namespaces/payments/deployments", {"kind": "DeploymentList", "items": []})
    kube = KubernetesActuator(cluster.url, namespaces=["payments", "shop"])

    outcome = kube.execute("restart_service", "checkout", {}, dry_run=True)
    assert "shop/checkout" in outcome["detail"]
    assert not cluster.received("GET", "/apis/apps/v1/deployments")  # never the whole cluster
    with pytest.raises(ActionError, match="namespace kube-system is not one Andon may act in"):
        kube.execute("restart_service", "coredns", {"namespace": "kube-system"}, dry_run=False)
    with pytest.raises(ActionError, match="no deployment for 'inventory' in namespaces payments, shop"):
        kube.execute("restart_service", "inventory", {}, dry_run=False)
    assert [p.path for p in _patches(cluster)] == [DEPLOY]


def test_api_rejection_is_an_error(cluster: RecordingServer) -> None:
    cluster.route(
        "PATCH",
        DEPLOY,
        Reply(
            {
                "kind": "Status",
                "code": 403,
                "reason": "Forbidden",
                "message": 'deployments.apps "checkout" is forbidden',
            },
            status=403,
        ),
    )
    with pytest.raises(BackendError, match="403"):
        _kube(cluster).execute("restart_service", "checkout", {}, dry_run=False)


def test_alertmanager_silence(server: RecordingServer) -> None:
    server.route("POST", "/api/v2/silences", {"silenceID": "7e2b3c4d-aaaa-bbbb-cccc-000000000001"})
    actuator = AlertmanagerActuator(AlertmanagerSource(server.url))
    args = {"alertname": "HighErrorRatio", "duration": "30m", "comment": "approved by @alice"}

    assert actuator.execute("create_silence", "checkout", args, dry_run=True)["status"] == "dry_run"
    assert server.received() == []

    outcome = actuator.execute("create_silence", "checkout", args, dry_run=False)
    body = server.received("POST", "/api/v2/silences")[0].json()
    assert body["matchers"] == [
        {"name": "alertname", "value": "HighErrorRatio", "isRegex": False, "isEqual": True},
        {"name": "service", "value": "checkout", "isRegex": False, "isEqual": True},
    ]
    assert parse_instant(body["endsAt"]) - parse_instant(body["startsAt"]) == pytest.approx(1800, abs=1)
    assert body["comment"] == "approved by @alice"
    assert outcome["silence_id"] == "7e2b3c4d-aaaa-bbbb-cccc-000000000001"
    with pytest.raises(ActionError, match="7 days"):
        actuator.execute("create_silence", "checkout", {**args, "duration": "30d"}, dry_run=False)


def test_http_flag_and_automation(server: RecordingServer) -> None:
    server.route("PUT", "/flags/new-checkout", {"key": "new-checkout", "enabled": False})
    server.route("POST", "/hooks/restart-consumers", Reply("queued", status=201))
    actuator = HttpActuator(f"{server.url}/", {"restart-consumers": f"{server.url}/hooks/restart-consumers?token=abc"})

    outcome = actuator.execute("toggle_flag", "checkout", {"flag": "new-checkout", "enabled": False}, dry_run=False)
    put = server.received("PUT")[0]
    assert put.path == "/flags/new-checkout" and put.json() == {"enabled": False, "service": "checkout"}
    assert outcome["status"] == "done" and "turn flag new-checkout on" in outcome["undo"]

    actuator.execute(
        "run_automation", "orders", {"job": "restart-consumers", "params": {"group": "billing"}}, dry_run=False
    )
    post = server.received("POST")[0]
    assert post.path == "/hooks/restart-consumers" and post.param("token") == "abc"
    assert post.json() == {"job": "restart-consumers", "service": "orders", "params": {"group": "billing"}}

    assert (
        actuator.execute("toggle_flag", "checkout", {"flag": "x", "enabled": True}, dry_run=True)["status"] == "dry_run"
    )
    assert len(server.received()) == 2


def test_http_refuses_unknown_jobs_and_hides_hook_urls(server: RecordingServer) -> None:
    server.route("POST", "/hooks/flush", Reply("boom", status=500))
    actuator = HttpActuator(None, {"flush": f"{server.url}/hooks/flush?token=abc", "reindex": f"{server.url}/r"})
    with pytest.raises(
        ActionError, match="unknown automation job 'http://evil.example/x'; configured jobs: flush, reindex"
    ):
        actuator.execute("run_automation", "", {"job": "http://evil.example/x"}, dry_run=False)
    with pytest.raises(BackendError) as failed:
        actuator.execute("run_automation", "", {"job": "flush"}, dry_run=False)
    assert "500" in str(failed.value) and "token" not in str(failed.value)
    with pytest.raises(ActionError, match="no flag service"):
        actuator.execute("toggle_flag", "checkout", {"flag": "x"}, dry_run=False)
    assert len(server.received()) == 1


def test_composite_routes_and_tools_report_outcomes(cluster: RecordingServer) -> None:
    composite = CompositeActuator({"scale_service": _kube(cluster)})
    with pytest.raises(
        ActionError, match="no backend is configured for drain_queue; this deployment can: scale_service"
    ):
        composite.execute("drain_queue", "orders", {}, dry_run=False)

    registry = default_registry()
    ctx = ToolContext(sources=Sources(actuator=composite))
    result = registry.run("scale_service", {"service": "checkout", "replicas": "+1"}, ctx)
    assert result.status == "ok" and result.data["replicas"] == 4
    assert _patches(cluster)[0].json() == {"spec": {"replicas": 4}}

    refused = registry.run("restart_service", {"service": "checkout"}, ctx)
    assert refused.status == "error" and "no backend is configured for restart_service" in refused.summary
