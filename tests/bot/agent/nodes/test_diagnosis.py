"""What the diagnosis establishes about the leading cause's service before proposing: replicas that a
change cut are added back, by how many were cut (so the scaling's direction is plain); a migration of what
it calls, tied to the trouble, rules a rollback out."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bot.agent.nodes.diagnosis import _context_for
from bot.models import Hypothesis
from bot.remedies import propose_actions
from knowledge.documents import Runbook, load_documents
from knowledge.retrieval import bundled_paths
from tests.support.telemetry import shift
from tools.rca.params import Params
from tools.registry import default_registry


def _context(
    series: list[dict[str, Any]],
    service: str,
    category: str,
    changes: list[dict[str, Any]] | None = None,
    pods: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    records: dict[str, list[dict[str, Any]]] = {}
    for item in series:
        records.setdefault(item["service"], []).append(item)
    data = [
        {
            "service": name,
            "score": 5.0,
            "raw_score": max(s["score"] for s in items),
            "fault_score": 5.0,
            "onset": 0.0,
            "series": items,
        }
        for name, items in records.items()
    ]
    calls = [{"id": "c1", "tool": "rank_anomalies", "status": "ok", "data": data}]
    if changes:
        calls.append({"id": "c2", "tool": "correlate_changes", "status": "ok", "data": changes})
    if pods:
        calls.append({"id": "c3", "tool": "k8s_pods", "status": "ok", "data": pods})
    state = {"calls": calls, "incident": {"alertname": "SearchLatencyHigh"}}
    graph = {"web": ["search"], "search": ["search-db"]}
    ctx = SimpleNamespace(sources=SimpleNamespace(call_graph=lambda: graph), params=Params())
    hypothesis = Hypothesis(service=service, category=category, confidence=0.9, summary="", evidence=[])
    return _context_for(hypothesis, state, ctx)  # type: ignore[arg-type]


def test_replicas_a_change_cut_are_added_back() -> None:
    cut = [
        shift("search", "replicas", 8.0, 2.0, 40.0, direction="down", kind="capacity"),
        shift("search", "cpu_usage_ratio", 0.4, 1.0, 30.0, kind="cpu"),
    ]
    context = _context(cut, "search", "bad_config")
    assert context["scaled_down"] is True and context["replicas_back"] == "+6"
    runbook = next(
        d for d in load_documents(bundled_paths()) if isinstance(d, Runbook) and d.id == "rb-bad-config-change"
    )
    hypothesis = Hypothesis(service="search", category="bad_config", confidence=0.9, summary="", evidence=[])
    proposals = propose_actions(hypothesis, runbook, default_registry(), context)
    assert ("scale_service", "+6") in [(p.tool, p.args.get("replicas")) for p in proposals]


def test_replicas_that_grew_are_no_cut() -> None:
    grew = [shift("search", "replicas", 4.0, 12.0, 40.0, kind="capacity")]
    assert "scaled_down" not in _context(grew, "search", "bad_config")


def test_a_migration_of_a_database_the_service_calls_is_tied_to_its_release() -> None:
    series = [shift("search", "error_ratio", 0.001, 0.4, 80.0, kind="errors")]
    context = _context(
        series,
        "search",
        "bad_deploy",
        changes=[
            {
                "service": "search-db",
                "kind": "migration",
                "family": "schema",
                "minutes_before_onset": 6.0,
                "description": "ALTER TABLE items ADD COLUMN note text",
            }
        ],
    )
    assert context.get("migrated") is True
    assert "migrated" not in _context(
        series,
        "search",
        "bad_deploy",
        changes=[{"service": "other-db", "kind": "migration", "family": "schema", "minutes_before_onset": 6.0}],
    ), "a migration of a database it does not call"


def _runbook(runbook_id: str) -> Runbook:
    return next(d for d in load_documents(bundled_paths()) if isinstance(d, Runbook) and d.id == runbook_id)


def _tools(service: str, category: str, runbook_id: str, context: dict[str, Any]) -> list[str]:
    hypothesis = Hypothesis(service=service, category=category, confidence=0.9, summary="", evidence=[])
    return [p.tool for p in propose_actions(hypothesis, _runbook(runbook_id), default_registry(), context)]


def test_a_secret_rotated_long_ago_is_picked_up_by_a_restart_unless_the_pods_already_crash_on_it() -> None:
    series = [shift("search", "error_ratio", 0.001, 0.4, 80.0, kind="errors")]
    rotated = [
        {
            "service": "search",
            "kind": "secret",
            "family": "credential",
            "minutes_before_onset": 1620.0,
            "description": "vault: rotated static role search-db/search",
        }
    ]
    pods = [
        {
            "name": f"search-{i}",
            "service": "search",
            "node": "n1",
            "ready": i > 1,
            "reasons": ["CrashLoopBackOff"] if i <= 1 else [],
        }
        for i in range(4)
    ]
    running = _context(series, "search", "expired_credentials", changes=rotated)
    crashing = _context(series, "search", "expired_credentials", changes=rotated, pods=pods)
    assert running.get("rotated") is True and "rotated" not in crashing
    assert _tools("search", "expired_credentials", "rb-expired-credentials", running) == ["restart_service"]
    assert _tools("search", "expired_credentials", "rb-expired-credentials", crashing) == ["run_automation"], (
        "pods that start again and again read the current secret: a restart brings nothing new"
    )


def test_a_clock_off_on_one_node_moves_work_off_it_and_a_drift_everywhere_is_resynced() -> None:
    assert _tools("auth", "clock_skew", "rb-clock-skew", {"node": "ip-9"}) == ["cordon_node", "restart_service"]
    assert _tools("auth", "clock_skew", "rb-clock-skew", {}) == ["run_automation"]


def test_dns_servers_are_restarted_but_a_name_nobody_resolves_falls_back_at_its_caller() -> None:
    """The DNS runbook restarts or scales a DNS server; for a dependency whose name no longer resolves
    (a vendor's domain lapsed) it switches the hardest-hit caller to its fallback instead."""
    dns = next(d for d in load_documents(bundled_paths()) if isinstance(d, Runbook) and d.category == "dns_failure")
    series = [
        shift("coredns", "dns_errors", 0.1, 30.0, 60.0, kind="errors"),
        shift("shipping-api", "upstream_error_ratio", 0.0, 1.0, 60.0, kind="errors", labels={"upstream": "shipco"}),
        shift("shipco", "upstream_error_ratio", 0.0, 1.0, 60.0, kind="errors"),
    ]
    for service, expected in [("coredns", "run_automation"), ("shipco", "toggle_flag")]:
        context = _context(series, service, "dns_failure")
        hypothesis = Hypothesis(service=service, category="dns_failure", confidence=0.9, summary="", evidence=[])
        tools = {p.tool for p in propose_actions(hypothesis, dns, default_registry(), context)}
        assert tools == {expected}, (service, context)
