"""The lab actuator and the fault catalogue against a fake lab client: what each action does, what
a dry run only describes, and what is refused."""

from __future__ import annotations

import pytest

from evals.lab.actuator import LabActuator, target_replicas
from evals.lab.client import LabError
from evals.lab.faults import inject
from evals.lab.state import read_lab
from tests.evals.lab.conftest import FakeClient


@pytest.mark.parametrize(
    ("spec", "current", "wanted"), [("+2", 1, 3), ("6", 2, 6), ("+50%", 2, 3), ("-1", 3, 2), (4, 1, 4)]
)
def test_target_replicas(spec: object, current: int, wanted: int) -> None:
    assert target_replicas(spec, current) == wanted


def test_target_replicas_refuses_nonsense() -> None:
    with pytest.raises(LabError):
        target_replicas("lots", 1)


def test_dry_runs_describe_without_acting(fake_client: FakeClient) -> None:
    actuator = LabActuator(fake_client)  # type: ignore[arg-type]
    fake_client.states["payments"].update(version="2.4.0", history=["2.3.1", "2.4.0"])
    outcomes = [
        actuator.execute("restart_service", "inventory", {"strategy": "rolling"}, dry_run=True),
        actuator.execute("scale_service", "worker", {"replicas": "+4"}, dry_run=True),
        actuator.execute("rollback_deploy", "payments", {}, dry_run=True),
        actuator.execute("toggle_flag", "checkout", {"flag": "new-tax-engine", "enabled": False}, dry_run=True),
        actuator.execute("drain_queue", "worker", {"target": "dead-letter"}, dry_run=True),
        actuator.execute("run_automation", "payments", {"job": "prefer-local-zone-routing"}, dry_run=True),
    ]
    assert fake_client.calls == []
    assert all(o["dry_run"] and o["detail"] for o in outcomes)
    assert outcomes[1]["detail"] == "scale worker from 1 to 5 replica(s)"
    assert outcomes[2]["detail"] == "roll payments back from 2.4.0 to 2.3.1"


def test_actions_act_on_the_lab(fake_client: FakeClient) -> None:
    actuator = LabActuator(fake_client)  # type: ignore[arg-type]
    fake_client.states["payments"].update(version="2.4.0", history=["2.3.1", "2.4.0"])
    fake_client.states["checkout"]["flags"]["new-tax-engine"] = True
    fake_client.states["payments"]["env"]["delay_s"] = 0.9
    actuator.execute("restart_service", "inventory", {}, dry_run=False)
    actuator.execute("scale_service", "worker", {"replicas": "+40"}, dry_run=False)
    rolled = actuator.execute("rollback_deploy", "payments", {"to_version": "2.3.1"}, dry_run=False)
    actuator.execute("toggle_flag", "checkout", {"flag": "new-tax-engine", "enabled": False}, dry_run=False)
    drained = actuator.execute("drain_queue", "worker", {}, dry_run=False)
    actuator.execute("run_automation", "payments", {"job": "prefer-local-zone-routing"}, dry_run=False)
    assert ("restart", "inventory") in fake_client.calls
    assert ("scale", "worker", 6) in fake_client.calls, "capped at the lab's maximum"
    assert rolled["to"] == "2.3.1" and fake_client.states["payments"]["version"] == "2.3.1"
    assert ("deploy", "payments", "2.3.1", "", "andon") in fake_client.calls
    assert fake_client.states["checkout"]["flags"]["new-tax-engine"] is False
    assert ("flag", "checkout", "new-tax-engine", False, "andon") in fake_client.calls
    assert drained["drained"] == 7
    assert "delay_s" not in fake_client.states["payments"]["env"]


@pytest.mark.parametrize(
    ("action", "service", "args", "why"),
    [
        ("cordon_node", "gateway", {"node": "n1"}, "cannot cordon_node"),
        ("restart_service", "mainframe", {}, "no service"),
        ("scale_service", "db", {"replicas": "+2"}, "stateful"),
        ("rollback_deploy", "gateway", {}, "no earlier version"),
        ("toggle_flag", "checkout", {"flag": "nope"}, "no flag"),
        ("drain_queue", "gateway", {}, "consumes no queue"),
        ("run_automation", "payments", {"job": "rm-rf"}, "no automation job"),
    ],
)
def test_refusals(fake_client: FakeClient, action: str, service: str, args: dict[str, object], why: str) -> None:
    with pytest.raises(LabError, match=why):
        LabActuator(fake_client).execute(action, service, args, dry_run=False)  # type: ignore[arg-type]
    assert fake_client.calls == []


def test_faults_inject_through_the_client(fake_client: FakeClient) -> None:
    done = inject(fake_client, "bad_deploy")  # type: ignore[arg-type]
    assert done["service"] == "payments"
    assert ("deploy", "payments", "2.4.0", "errors", "ci") in fake_client.calls
    inject(fake_client, "crash_loop", "worker")  # type: ignore[arg-type]
    assert ("deploy", "worker", "1.6.0", "crash", "ci") in fake_client.calls
    inject(fake_client, "bad_flag")  # type: ignore[arg-type]
    assert fake_client.states["checkout"]["flags"]["new-tax-engine"] is True
    inject(fake_client, "queue_backlog")  # type: ignore[arg-type]
    assert fake_client.states["worker"]["env"] == {"process_s": 0.8}
    inject(fake_client, "noise")  # type: ignore[arg-type]
    assert ("deploy", "gateway", "1.9.2", "", "ci") in fake_client.calls
    assert [i["fault"] for i in read_lab(fake_client.layout)["injected"]] == [
        "bad_deploy",
        "crash_loop",
        "bad_flag",
        "queue_backlog",
        "noise",
    ]


def test_faults_refuse_targets_they_do_not_fit(fake_client: FakeClient) -> None:
    with pytest.raises(LabError, match="applies to"):
        inject(fake_client, "queue_backlog", "gateway")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown lab service"):
        inject(fake_client, "memory_leak", "mainframe")  # type: ignore[arg-type]
