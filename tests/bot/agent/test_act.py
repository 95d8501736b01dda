"""The act node and the self-healing path: rate limits per incident and per hour, a dry run before a
destructive action, failures recorded, proposals outside the blast radius dropped, and the allowlist
auto-executing only the write actions it names (announced in the audit log)."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from bot.agent.context import AgentContext
from bot.agent.nodes.approval import act
from bot.models import action_hash
from bot.policy import Policy
from bot.settings import Settings
from bot.store import IncidentStore, open_store
from tests.support.example_run import (
    alert,
    approver_policy,
    example_sources,
    investigator,
    non_dry_executions,
)
from tools import default_registry


@pytest.fixture
def store(tmp_path: Path) -> IncidentStore:
    return open_store(None, tmp_path / "store")


def _proposal(tool: str, risk: str, **args: Any) -> dict[str, Any]:
    digest = action_hash(tool, args)
    return {
        "id": f"p-{digest[:10]}",
        "tool": tool,
        "args": args,
        "risk": risk,
        "hash": digest,
        "created_at": time.time(),
        "auto": False,
    }


def _approvals(proposal: dict[str, Any], *users: str) -> list[dict[str, Any]]:
    return [
        {"proposal_id": proposal["id"], "hash": proposal["hash"], "decision": "approve", "by": u, "at": time.time()}
        for u in users
    ]


def _act(
    settings: Settings,
    tmp_path: Path,
    store: IncidentStore,
    policy: Policy,
    proposals: list[dict[str, Any]],
    decisions: list[dict[str, Any]],
    incident_id: str = "inc-act",
) -> tuple[list[dict[str, Any]], Any]:
    sources, judged_at = example_sources(tmp_path)
    ctx = AgentContext(
        settings=settings,
        registry=default_registry(),
        sources=sources,
        reasoners={},
        policy=policy,
        store=store,
        clock=lambda: judged_at,
    )
    state = {"incident": {"id": incident_id}, "proposals": proposals, "decisions": decisions}
    update = act(state, SimpleNamespace(context=ctx))  # type: ignore[arg-type]
    return update["actions"], sources.actuator


ROLLBACK = _proposal("rollback_deploy", "write", service="checkout", to_version="v2.13.2")
RESTART = _proposal("restart_service", "write", service="checkout")
DRAIN = _proposal("drain_queue", "destructive", service="checkout")


def test_rate_limit_per_incident(settings: Settings, tmp_path: Path, store: IncidentStore) -> None:
    policy = approver_policy(rate_limits={"per_incident": 1, "per_hour": 10})
    actions, actuator = _act(
        settings,
        tmp_path,
        store,
        policy,
        [ROLLBACK, RESTART],
        _approvals(ROLLBACK, "UAPPROVER1") + _approvals(RESTART, "UAPPROVER1"),
    )
    assert [(a["tool"], a["status"]) for a in actions] == [
        ("rollback_deploy", "executed"),
        ("restart_service", "not_executed"),
    ]
    assert actions[1]["decision"] == "rate limit reached"
    assert [e["action"] for e in actuator.executed] == ["rollback_deploy"]
    assert any(e["event"] == "refused" and e["detail"] == "rate limit reached" for e in store.audit_log("inc-act"))


def test_rate_limit_per_hour_counts_every_incident(settings: Settings, tmp_path: Path, store: IncidentStore) -> None:
    for index in range(2):
        store.claim_execution(f"inc-earlier-{index}", f"h{index}", "restart_service", {"service": "cart"}, "ok")
        store.finish_execution(f"inc-earlier-{index}", f"h{index}", "executed", "done")
    policy = approver_policy(rate_limits={"per_incident": 5, "per_hour": 2})
    actions, actuator = _act(settings, tmp_path, store, policy, [ROLLBACK], _approvals(ROLLBACK, "UAPPROVER1"))
    assert actions[0]["status"] == "not_executed" and actions[0]["decision"] == "rate limit reached"
    assert actuator.executed == []


def test_destructive_actions_get_a_dry_run_first(settings: Settings, tmp_path: Path, store: IncidentStore) -> None:
    actions, actuator = _act(
        settings,
        tmp_path,
        store,
        approver_policy(),
        [DRAIN, ROLLBACK],
        _approvals(DRAIN, "UAPPROVER1", "UAPPROVER2") + _approvals(ROLLBACK, "UAPPROVER2"),
    )
    assert [a["status"] for a in actions] == ["executed", "executed"]
    assert [(e["action"], e["dry_run"]) for e in actuator.executed] == [
        ("drain_queue", True),
        ("drain_queue", False),
        ("rollback_deploy", False),
    ]
    assert actions[0]["dry_run"].startswith("would drain the queue of checkout")
    assert actions[0]["decision"] == "approved by UAPPROVER1, UAPPROVER2"
    assert [e["status"] for e in store.executions("inc-act")] == ["executed", "executed"]


def test_a_failing_actuator_is_recorded_as_failed(settings: Settings, tmp_path: Path, store: IncidentStore) -> None:
    flag = _proposal("toggle_flag", "write", service="checkout", flag="new-pricing", enabled=False)
    sources, _ = example_sources(tmp_path)

    class Broken:
        def execute(self, action: str, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
            raise RuntimeError("flag service answered 503")

    sources.actuator = Broken()
    ctx = AgentContext(
        settings=settings,
        registry=default_registry(),
        sources=sources,
        reasoners={},
        policy=approver_policy(),
        store=store,
    )
    state = {"incident": {"id": "inc-fail"}, "proposals": [flag], "decisions": _approvals(flag, "UAPPROVER1")}
    [action] = act(state, SimpleNamespace(context=ctx))["actions"]  # type: ignore[arg-type]
    assert action["status"] == "failed" and "503" in action["result"]
    assert store.executions("inc-fail")[0]["status"] == "failed"
    assert store.audit_log("inc-fail")[-1]["event"] == "failed"


def test_self_healing_auto_executes_an_allowlisted_write_action(
    settings: Settings, tmp_path: Path, store: IncidentStore
) -> None:
    policy = approver_policy(auto_execute=[{"tool": "rollback_deploy", "services": ["checkout"]}])
    inv = investigator(settings, tmp_path, store=store, policy=policy, checkpointer=InMemorySaver())
    outcome = inv.start(alert())
    assert not outcome.waiting, "nothing to wait for"
    [proposal] = outcome.state["proposals"]
    assert proposal["auto"] and proposal["tool"] == "rollback_deploy"
    [action] = outcome.state["actions"]
    assert action["status"] == "executed" and action["decision"].startswith("auto-executed")
    assert [e["action"] for e in non_dry_executions(inv)] == ["rollback_deploy"]
    events = [e["event"] for e in store.audit_log(outcome.incident_id)]
    assert events[:4] == ["received", "proposed", "executing", "executed"]
    assert "auto-executes" in store.audit_log(outcome.incident_id)[1]["detail"]
    assert outcome.report is not None and outcome.report["verification"]["checked"]


@pytest.mark.parametrize(
    "rules",
    [
        [{"tool": "rollback_deploy", "services": ["payments"]}],
        [{"tool": "restart_service", "services": ["checkout"]}],
        [],
    ],
    ids=["other-service", "other-tool", "empty"],
)
def test_anything_not_allowlisted_waits_for_a_human(
    rules: list[dict[str, Any]], settings: Settings, tmp_path: Path, store: IncidentStore
) -> None:
    inv = investigator(
        settings, tmp_path, store=store, policy=approver_policy(auto_execute=rules), checkpointer=InMemorySaver()
    )
    outcome = inv.start(alert())
    assert outcome.waiting and not outcome.state["proposals"][0]["auto"]
    assert non_dry_executions(inv) == []


def test_proposals_outside_the_blast_radius_are_dropped(
    settings: Settings, tmp_path: Path, store: IncidentStore
) -> None:
    inv = investigator(
        settings, tmp_path, store=store, policy=approver_policy(allowed_services=["cart"]), checkpointer=InMemorySaver()
    )
    outcome = inv.start(alert())
    assert not outcome.waiting and outcome.state["proposals"] == []
    assert any("outside the policy's blast radius" in n for n in outcome.state["notes"])


def test_propose_only_mode_never_acts(settings: Settings, tmp_path: Path, store: IncidentStore) -> None:
    policy = approver_policy(auto_execute=[{"tool": "rollback_deploy", "services": ["checkout"]}])
    inv = investigator(
        settings, tmp_path, store=store, policy=policy, approval_mode="propose_only", checkpointer=InMemorySaver()
    )
    outcome = inv.start(alert())
    assert not outcome.waiting and outcome.state.get("actions") is None
    assert non_dry_executions(inv) == [] and store.executions() == []
