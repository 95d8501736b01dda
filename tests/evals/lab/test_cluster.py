"""The supervisor's replicas as Kubernetes shows them, read with Andon's own ``KubernetesSource``: a
process that keeps exiting at start-up is a pod in CrashLoopBackOff with back-off events, one over its
memory limit is OOM-killed and restarts in its pod (as kube-state-metrics counts it); pods, events, nodes
and rollout history answer in the Kubernetes wire format."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from evals.lab.cluster import EventRecorder, Pod, Termination, kube_answer, pod_object, template_hash
from evals.lab.control import serve_control
from evals.lab.state import update_service_state
from evals.lab.supervisor import Child, Supervisor
from evals.lab.topology import LabLayout
from tests.support.net import free_port
from tools.sources.kubernetes import KubernetesSource, pod_status


@pytest.fixture
def supervisor(layout: LabLayout) -> Iterator[Supervisor]:
    supervisor = Supervisor(LabLayout(layout.root, free_port()), memory_limit_mb=60.0)
    server = serve_control(supervisor)
    try:
        yield supervisor
    finally:
        supervisor.shutdown()
        server.shutdown()
        server.server_close()


def _until(supervisor: Supervisor, done: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.time() + timeout_s
    while not done():
        assert time.time() < deadline, "the supervisor did not get there in time"
        supervisor.tick()
        time.sleep(0.05)


def test_a_process_exiting_at_start_up_is_a_pod_in_crashloopbackoff(supervisor: Supervisor) -> None:
    child = supervisor.add(Child("inventory/0", [sys.executable, "-c", "raise SystemExit(3)"], "inventory"))
    _until(supervisor, lambda: child.pod is not None and child.pod.restarts >= 2)
    supervisor.tick()
    source = KubernetesSource(supervisor.layout.control_url)
    (pod,) = source.pods("inventory")
    assert pod.restarts >= 2 and not pod.ready
    assert pod.reasons == ["CrashLoopBackOff", "Error"], "waiting out its back-off; it last ended with an error"
    warnings = [e for e in source.events(time.time() - 60, "inventory") if e.type == "Warning"]
    assert [e.reason for e in warnings] == ["BackOff"]
    assert warnings[0].message.startswith("Back-off restarting failed container inventory in pod ")
    raw = httpx.get(f"{supervisor.layout.control_url}/api/v1/namespaces/lab/pods").json()["items"][0]
    assert raw["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 3
    assert source.nodes()[0]["ready"] is True


def test_a_process_over_its_memory_limit_is_oom_killed_and_restarts_in_its_pod(supervisor: Supervisor) -> None:
    hog = "import time; data = b'x' * 120_000_000; time.sleep(60)"
    child = supervisor.add(Child("checkout/0", [sys.executable, "-c", hog], "checkout"))
    name = child.pod.name if child.pod else ""
    _until(supervisor, lambda: child.pod is not None and child.pod.restarts >= 1)
    (pod,) = KubernetesSource(supervisor.layout.control_url).pods("checkout")
    assert (pod.name, pod.restarts) == (name, 1), "a container restart, not a new pod"
    assert "OOMKilled" in pod.reasons  # and CrashLoopBackOff: it died within seconds of starting
    assert child.pod is not None and child.pod.last is not None and child.pod.last.exit_code == 137
    metrics = httpx.get(f"{supervisor.layout.control_url}/metrics").text
    labels = f'container="checkout",namespace="lab",pod="{name}"'
    assert f'kube_pod_container_status_last_terminated_reason{{{labels},reason="OOMKilled"}} 1.0' in metrics
    assert f"kube_pod_container_status_restarts_total{{{labels}}} 1.0" in metrics, "kube-state-metrics' name"


def test_a_running_pod_after_an_oom_kill_and_a_new_pod_after_a_rollout(layout: LabLayout) -> None:
    pod = Pod.new("checkout", "3.2.0", now=1_700_000_000.0)
    assert pod.name.startswith(f"checkout-{template_hash('checkout', '3.2.0')}-")
    assert pod_status(pod_object(pod, running=True, started=1_700_000_001.0)).reasons == []
    pod.restarts, pod.last = 2, Termination.of(-9, True, 1_700_000_001.0, 1_700_000_030.0)
    status = pod_status(pod_object(pod, running=True, started=1_700_000_031.0))
    assert (status.service, status.ready, status.restarts, status.reasons) == ("checkout", True, 2, ["OOMKilled"])
    assert Pod.new("checkout", "3.3.0").name.split("-")[1] != pod.name.split("-")[1], "a new ReplicaSet per version"


def test_rollout_history_follows_the_releases(layout: LabLayout) -> None:
    update_service_state(layout, "inventory", lambda s: s.update(version="1.4.7", history=["1.4.7", "1.5.0", "1.4.7"]))
    answer = kube_answer(layout, "/apis/apps/v1/namespaces/lab/replicasets", {}, list, EventRecorder())
    assert answer is not None
    inventory = [rs for rs in answer[1]["items"] if rs["metadata"]["labels"]["app.kubernetes.io/name"] == "inventory"]
    revisions = {
        rs["metadata"]["name"].rsplit("-", 1)[1]: rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        for rs in inventory
    }
    assert revisions == {template_hash("inventory", "1.5.0"): "2", template_hash("inventory", "1.4.7"): "3"}
    assert kube_answer(layout, "/api/v1/namespaces/other/pods", {}, list, EventRecorder()) == (
        200,
        {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": []},
    )
    assert kube_answer(layout, "/apis/apps/v1/namespaces/lab/deployments/nope", {}, list, EventRecorder())[0] == 404  # type: ignore[index]
    assert kube_answer(layout, "/changes", {}, list, EventRecorder()) is None


def test_events_repeat_as_a_count(layout: LabLayout) -> None:
    events = EventRecorder(limit=2)
    for _ in range(3):
        events.record("inventory-abc12defgh-x2x7q", "BackOff", "Back-off restarting failed container", kind="Warning")
    events.record("inventory-abc12defgh-x2x7q", "Started", "Started container inventory")
    events.record("gateway-abc12defgh-x2x7q", "Started", "Started container gateway")
    assert [(e["reason"], e["count"]) for e in events.items()] == [("Started", 1), ("Started", 1)]
