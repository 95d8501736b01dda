"""KubernetesSource against a loopback API server replaying PodList, EventList, NodeList, Deployment
and ReplicaSetList answers in the Kubernetes wire format: cluster-wide or per namespace, nodes that a
namespaced Role may not read, a cluster-wide list that falls back to the home namespace."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.support.fakehttp import RecordingServer, Reply
from tools.base import ToolContext
from tools.catalog.telemetry import NoArgs, k8s_nodes
from tools.sources import Sources
from tools.sources.kubeapi import image_tag, service_of
from tools.sources.kubeconnection import KubeConnection, static_connection
from tools.sources.kubernetes import KubernetesSource
from tools.sources.prometheus import BackendError
from tools.sources.timespec import parse_instant

NS = "/api/v1/namespaces/shop"
APPS = "/apis/apps/v1/namespaces/shop"


@pytest.fixture
def cluster(server: RecordingServer, wire: Any) -> RecordingServer:
    server.route("GET", f"{NS}/pods", wire("k8s_podlist"))
    server.route("GET", "/api/v1/pods", wire("k8s_podlist"))
    server.route("GET", f"{NS}/events", wire("k8s_eventlist"))
    server.route("GET", "/api/v1/nodes", wire("k8s_nodelist"))
    server.route("GET", f"{APPS}/deployments/checkout", wire("k8s_deployment"))
    server.route(
        "GET",
        f"{APPS}/deployments",
        {"kind": "DeploymentList", "apiVersion": "apps/v1", "items": [wire("k8s_deployment")]},
    )
    server.route("GET", f"{APPS}/replicasets", wire("k8s_replicasetlist"))
    return server


def test_pods_map_crashloop_oomkilled_and_unschedulable(cluster: RecordingServer) -> None:
    pods = {p.name: p for p in KubernetesSource(cluster.url, token="s3cret", namespaces=["shop"]).pods()}

    request = cluster.received("GET", f"{NS}/pods")[0]
    assert request.headers["authorization"] == "Bearer s3cret"

    checkout = pods["checkout-7d9f8b6c5d-x2x7q"]
    assert (checkout.service, checkout.phase, checkout.ready, checkout.restarts, checkout.node) == (
        "checkout",
        "Running",
        False,
        7,
        "node-a",
    )
    assert checkout.reasons == ["CrashLoopBackOff", "Error"]

    payments = pods["payments-5c4f9d7b8-abcde"]
    assert (payments.service, payments.ready, payments.restarts, payments.reasons) == (
        "payments",
        True,
        3,
        ["OOMKilled"],
    )

    cart = pods["cart-6b7c8d9e0f-zq8wl"]
    assert (cart.ready, cart.restarts, cart.reasons) == (True, 0, [])  # a Completed init container is healthy

    search = pods["search-0"]
    assert (search.service, search.phase, search.ready, search.reasons, search.node) == (
        "search",
        "Pending",
        False,
        ["Unschedulable"],
        "",
    )


def test_pods_filter_by_service_and_whole_cluster(cluster: RecordingServer) -> None:
    source = KubernetesSource(cluster.url)
    assert [p.name for p in source.pods("payments")] == ["payments-5c4f9d7b8-abcde"]
    assert cluster.received()[0].path == "/api/v1/pods"
    assert "authorization" not in cluster.received()[0].headers


def test_events_are_attributed_timed_and_filtered(cluster: RecordingServer) -> None:
    source = KubernetesSource(cluster.url, namespaces=["shop"])
    events = source.events(since=parse_instant("2024-05-01T11:00:00Z"))

    assert [e.reason for e in events] == ["ScalingReplicaSet", "Killing", "NodeNotReady", "BackOff"]
    killing = events[1]
    assert killing.ts == parse_instant("2024-05-01T11:56:01Z")  # series.lastObservedTime (no lastTimestamp)
    assert (killing.service, killing.object, killing.type) == ("payments", "pod/payments-5c4f9d7b8-abcde", "Warning")
    backoff = events[-1]
    assert backoff.ts == parse_instant("2024-05-01T11:59:40Z")
    assert backoff.service == "checkout" and "Back-off restarting failed container" in backoff.message
    assert events[0].service == "checkout" and events[0].object == "deployment/checkout"
    assert events[2].service == "" and events[2].object == "node/node-b"

    only = source.events(since=0, service="checkout")
    assert [e.reason for e in only] == ["ScalingReplicaSet", "BackOff"]
    assert all(e.reason != "Started" for e in events)  # the cart event is older than `since`


def test_nodes_report_readiness_and_problems(cluster: RecordingServer) -> None:
    nodes = {n["name"]: n for n in KubernetesSource(cluster.url).nodes()}
    assert nodes["node-a"]["ready"] is True and nodes["node-a"]["problems"] == []
    node_b = nodes["node-b"]
    assert node_b["ready"] is False
    assert node_b["problems"] == ["NotReady", "DiskPressure"]
    ready = next(c for c in node_b["conditions"] if c["type"] == "Ready")
    assert ready == {
        "type": "Ready",
        "status": "Unknown",
        "reason": "NodeStatusUnknown",
        "message": "Kubelet stopped posting node status.",
    }


def test_rollout_history_from_owned_replicasets(cluster: RecordingServer) -> None:
    history = KubernetesSource(cluster.url, namespaces=["shop"]).rollout_history("checkout")

    assert [(h["revision"], h["version"], h["previous_version"]) for h in history] == [
        (1, "1.4.0", ""),
        (2, "1.4.1", "1.4.0"),
        (3, "1.4.2", "1.4.1"),
    ]  # the canary's ReplicaSet is not ours
    assert [h["current"] for h in history] == [False, False, True]
    assert history[-1]["image"] == "registry.example.com/shop/checkout:1.4.2"
    assert history[-1]["replicaset"] == "checkout-7d9f8b6c5d"
    assert history[0]["at"] == parse_instant("2024-04-20T10:00:00Z")
    rs_request = cluster.received("GET", f"{APPS}/replicasets")[0]
    assert rs_request.param("labelSelector") == "app.kubernetes.io/name=checkout"


def test_rollout_history_finds_deployment_by_label_or_not_at_all(cluster: RecordingServer, wire: Any) -> None:
    renamed = wire("k8s_deployment")
    renamed["metadata"]["name"] = "checkout-v2"
    cluster.route("GET", "/apis/apps/v1/deployments", {"kind": "DeploymentList", "items": [renamed]})
    cluster.route("GET", f"{APPS}/replicasets", {"kind": "ReplicaSetList", "items": []})
    source = KubernetesSource(cluster.url)
    assert source.rollout_history("checkout") == []  # found by label, but owns no ReplicaSets
    assert cluster.received("GET", "/apis/apps/v1/deployments")
    assert cluster.received("GET", f"{APPS}/replicasets")  # it did look up checkout-v2's revisions
    assert source.rollout_history("inventory") == []


def test_api_errors_are_backend_errors(server: RecordingServer) -> None:
    server.route(
        "GET",
        f"{NS}/pods",
        Reply(
            {
                "kind": "Status",
                "status": "Failure",
                "reason": "Forbidden",
                "code": 403,
                "message": 'pods is forbidden: User "andon" cannot list resource "pods"',
            },
            status=403,
        ),
    )
    with pytest.raises(BackendError, match="403 pods is forbidden"):
        KubernetesSource(server.url, namespaces=["shop"]).pods()


def test_invalid_namespace_is_refused() -> None:
    with pytest.raises(ValueError, match="namespace"):
        KubernetesSource("http://127.0.0.1:9", namespaces=["../secrets"])


def test_helpers() -> None:
    assert image_tag("registry:5000/shop/checkout:1.4.2") == "1.4.2"
    assert image_tag("registry:5000/shop/checkout") == "latest"
    assert image_tag("checkout@sha256:abc") == "sha256:abc"
    assert service_of({"name": "checkout-7d9f8b6c5d-x2x7q"}) == "checkout"
    assert service_of({"name": "redis-2"}) == "redis"
    assert service_of({"name": "x", "labels": {"app": "payments"}}) == "payments"


def test_service_of_pods_uses_the_generated_suffix_alphabet() -> None:
    assert service_of({"name": "payment-service-abcde"}) == "payment-service-abcde"  # vowels: not a generated id
    assert service_of({"name": "payment-service-7d9f8b6c5d-x2x7q"}) == "payment-service"
    assert service_of({"name": "node-exporter-x2x7q"}) == "node-exporter"  # a DaemonSet's pod
    assert service_of({"name": "checkout-7d9f8b6c5d"}, "ReplicaSet") == "checkout"
    assert service_of({"name": "checkout"}, "Deployment") == "checkout"


@pytest.fixture
def two_namespaces(cluster: RecordingServer, wire: Any) -> RecordingServer:
    """``shop`` as recorded, and ``payments`` with one pod, no events, no deployments."""
    pod = wire("k8s_podlist")["items"][1]
    pod["metadata"]["namespace"] = "payments"
    pod["metadata"]["name"] = "ledger-5c4f9d7b8-x2x7q"
    pod["metadata"]["labels"] = {"app": "ledger"}
    cluster.route("GET", "/api/v1/namespaces/payments/pods", {"kind": "PodList", "items": [pod]})
    cluster.route("GET", "/api/v1/namespaces/payments/events", {"kind": "EventList", "items": []})
    cluster.route("GET", "/apis/apps/v1/namespaces/payments/deployments", {"kind": "DeploymentList", "items": []})
    return cluster


def test_namespaced_reads_touch_only_namespaced_urls(two_namespaces: RecordingServer) -> None:
    source = KubernetesSource(two_namespaces.url, namespaces=["shop", "payments"])

    pods = source.pods()
    events = source.events(since=0)
    history = source.rollout_history("checkout")

    assert {p.service for p in pods} == {"checkout", "payments", "cart", "search", "ledger"}
    assert events and [h["version"] for h in history] == ["1.4.0", "1.4.1", "1.4.2"]
    paths = {r.path for r in two_namespaces.received()}
    assert paths == {
        f"{NS}/pods",
        f"{NS}/events",
        "/api/v1/namespaces/payments/pods",
        "/api/v1/namespaces/payments/events",
        f"{APPS}/deployments",
        "/apis/apps/v1/namespaces/payments/deployments",
        f"{APPS}/replicasets",
    }


FORBIDDEN_NODES = Reply(
    {
        "kind": "Status",
        "status": "Failure",
        "reason": "Forbidden",
        "code": 403,
        "message": 'nodes is forbidden: User "system:serviceaccount:andon:andon" cannot list '
        'resource "nodes" in API group "" at the cluster scope',
    },
    status=403,
)


def test_forbidden_nodes_degrade_to_nodes_not_readable(cluster: RecordingServer) -> None:
    cluster.route("GET", "/api/v1/nodes", FORBIDDEN_NODES)
    source = KubernetesSource(cluster.url, namespaces=["shop"])

    assert source.nodes() == []
    assert "403 nodes is forbidden" in source.nodes_unreadable
    result = k8s_nodes(ToolContext(Sources(kubernetes=source)), NoArgs())
    assert result.status == "no_data" and result.summary.startswith("nodes not readable: ")
    assert [p.name for p in source.pods("checkout")] == ["checkout-7d9f8b6c5d-x2x7q"]  # the rest still reads

    cluster.route(
        "GET", "/api/v1/nodes", Reply({"kind": "Status", "code": 500, "message": "etcdserver: timeout"}, status=500)
    )
    with pytest.raises(BackendError, match="500"):  # only a 403 means "not allowed"; other failures are errors
        source.nodes()


def _forbidden_cluster_wide(server: RecordingServer, path: str) -> None:
    server.route(
        "GET",
        path,
        Reply({"kind": "Status", "code": 403, "reason": "Forbidden", "message": f"{path} is forbidden"}, status=403),
    )


def test_a_forbidden_cluster_wide_list_falls_back_to_the_home_namespace(cluster: RecordingServer) -> None:
    _forbidden_cluster_wide(cluster, "/api/v1/pods")
    _forbidden_cluster_wide(cluster, "/apis/apps/v1/deployments")
    source = KubernetesSource(_home(cluster.url, "shop"))  # in a pod of namespace shop

    assert len(source.pods()) == 4
    assert len(source.pods()) == 4
    assert source.rollout_history("checkout")
    asked = [r.path for r in cluster.received()]
    assert asked.count("/api/v1/pods") == 1  # asked once; from then on the home namespace only
    assert asked.count(f"{NS}/pods") == 2 and f"{APPS}/deployments" in asked

    with pytest.raises(BackendError, match="403"):  # without a home namespace, the 403 stands
        KubernetesSource(cluster.url).pods()


def _home(url: str, namespace: str) -> KubeConnection:
    return replace(static_connection(url), namespace=namespace)
