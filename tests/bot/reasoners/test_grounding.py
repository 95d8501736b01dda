"""A model's hypothesis outside the rules engine's list counts only when the results it cites mention its
service and hold evidence distinctive of its category (a check of that category's runbooks that few other
categories' checks share)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.reasoners.llm.grounding import Claim, distinctive_evidence, read_claim
from knowledge.documents import Runbook, load_documents
from knowledge.taxonomy import bundled_dir
from tools.rca.params import Params

CALLS: dict[str, dict[str, Any]] = {
    "c1": {
        "id": "c1",
        "tool": "rank_anomalies",
        "status": "ok",
        "summary": "ledger latency rose",
        "data": [
            {
                "service": "ledger",
                "score": 5.0,
                "series": [
                    {
                        "key": "latency_p99_seconds{service=ledger}",
                        "service": "ledger",
                        "metric": "latency_p99_seconds",
                        "kind": "latency",
                        "score": 9.0,
                        "direction": "up",
                        "before": 0.2,
                        "after": 1.5,
                        "signal": "latency_p99_seconds",
                    }
                ],
            }
        ],
    },
    "c2": {
        "id": "c2",
        "tool": "k8s_pods",
        "status": "ok",
        "summary": "1 pod not ready",
        "data": [{"name": "ledger-1", "service": "ledger", "ready": False, "restarts": 4, "reasons": ["OOMKilled"]}],
    },
    "c3": {
        "id": "c3",
        "tool": "log_template_spikes",
        "status": "ok",
        "summary": "1 new template",
        "data": [
            {
                "service": "ledger",
                "template": "HTTP 429 Too Many Requests from psp",
                "new": True,
                "error_like": True,
                "score": 5.0,
            }
        ],
    },
    "c4": {"id": "c4", "tool": "k8s_nodes", "status": "ok", "summary": "3 nodes ready", "data": []},
}
SERVICES = ["ledger", "psp", "gateway"]


@pytest.fixture(scope="module")
def runbooks() -> list[Runbook]:
    return [d for d in load_documents([bundled_dir() / "runbooks"]) if isinstance(d, Runbook)]


def _claim(category: str, *cited: str, service: str = "ledger") -> Claim:
    claim = read_claim(
        {"service": service, "category": category, "confidence": 0.8, "evidence": list(cited)}, CALLS, SERVICES
    )
    assert isinstance(claim, Claim), claim
    return claim


@pytest.mark.parametrize(
    ("item", "why"),
    [
        ({"service": "ledger", "category": "memory_leak", "evidence": []}, "no cited result mentions ledger"),
        (
            {"service": "ledger", "category": "memory_leak", "evidence": ["c4", "c999"]},
            "no cited result mentions ledger",
        ),
        ({"service": "psp", "category": "rate_limiting", "evidence": ["c2"]}, "no cited result mentions psp"),
        ({"service": "aliens", "category": "memory_leak", "evidence": ["c2"]}, "unknown service"),
        ({"service": "ledger", "category": "gremlins", "evidence": ["c2"]}, "unknown category"),
        ({"service": "ledger", "category": "memory_leak", "confidence": "very", "evidence": ["c2"]}, "not a number"),
        ("ledger is leaking", "not a hypothesis object"),
    ],
)
def test_unsupported_claims_say_why(item: Any, why: str) -> None:
    problem = read_claim(item, CALLS, SERVICES)
    assert isinstance(problem, str) and why in problem


def test_a_status_only_its_category_predicts_grounds_it(runbooks: list[Runbook]) -> None:
    grounds = distinctive_evidence(_claim("memory_leak", "c2"), CALLS, runbooks, Params(), {})
    assert [(g.runbook_id, g.outcome.key) for g in grounds] == [("rb-memory-leak-oomkilled", "k8s:OOMKilled")]


def test_a_log_line_its_runbook_looks_for_grounds_it(runbooks: list[Runbook]) -> None:
    grounds = distinctive_evidence(_claim("rate_limiting", "c3"), CALLS, runbooks, Params(), {})
    assert grounds and grounds[0].runbook_id == "rb-upstream-rate-limiting"
    assert grounds[0].outcome.call_id == "c3" and "429" in grounds[0].outcome.detail


def test_a_symptom_many_faults_share_grounds_nothing(runbooks: list[Runbook]) -> None:
    """Latency rose: a dozen faults predict that, so it is evidence for none of them in particular."""
    assert distinctive_evidence(_claim("network_latency", "c1"), CALLS, runbooks, Params(), {}) == []


def test_only_the_cited_results_count(runbooks: list[Runbook]) -> None:
    """The OOMKilled pod is in the results, but the claim cites only the latency: not grounded."""
    assert distinctive_evidence(_claim("memory_leak", "c1"), CALLS, runbooks, Params(), {}) == []


def test_evidence_of_another_fault_does_not_ground_this_one(runbooks: list[Runbook]) -> None:
    assert distinctive_evidence(_claim("crash_loop", "c3"), CALLS, runbooks, Params(), {}) == []
