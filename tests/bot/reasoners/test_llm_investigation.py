"""The llm reasoner end to end against a local OpenAI-compatible server, through the real ``openai`` SDK:
a tool-call round trip whose result comes back as delimited data, a diagnosis that cites call ids,
token accounting, and the JSON-mode fallback for endpoints that cannot call tools."""

from __future__ import annotations

from typing import Any

from bot.settings import Settings
from tests.bot.reasoners.conftest import Run
from tests.support.fake_openai import FakeOpenAI, completion, json_answer, tool_call, tools_unsupported

QUERY = 'error_ratio{service="checkout"}'


def _diagnosis(*evidence: str, service: str = "checkout", category: str = "bad_deploy") -> dict[str, Any]:
    return {
        "hypotheses": [
            {
                "service": service,
                "category": category,
                "confidence": 0.9,
                "summary": "the v2.14.0 deploy broke checkout's pricing",
                "evidence": list(evidence),
            }
        ]
    }


def test_full_investigation_with_a_tool_call_round_trip(server: FakeOpenAI, llm_settings: Settings, run: Run) -> None:
    server.push(
        completion(
            tool_calls=[tool_call("prometheus_query_range", {"query": QUERY, "lookback": "30m"}, "call_prom_1")],
            prompt_tokens=1200,
            completion_tokens=30,
        ),
        completion(
            "checkout's error ratio jumped right after its deploy; gateway only propagates it.",
            prompt_tokens=1500,
            completion_tokens=40,
        ),
        json_answer(_diagnosis("call_prom_1", "c6"), prompt_tokens=900, completion_tokens=60),
    )
    report = run(llm_settings).report
    assert report is not None
    assert server.protocol_errors == [] and server.remaining == 0 and len(server.requests) == 3

    first, second, third = server.requests
    assert first["model"] == llm_settings.model and first["tools"]
    tool_names = {t["function"]["name"] for t in first["tools"]}
    assert "prometheus_query_range" in tool_names
    assert not tool_names & {"rollback_deploy", "drain_queue", "cordon_node", "restart_service"}, "only read tools"
    assert server.headers[0].get("authorization") == "Bearer test"

    # the tool result comes back in a `tool` message answering the call id, delimited and marked as data
    assistant = next(m for m in second["messages"] if m["role"] == "assistant")
    assert assistant["tool_calls"][0]["id"] == "call_prom_1"
    assert isinstance(assistant["tool_calls"][0]["function"]["arguments"], str)
    answer = next(m for m in second["messages"] if m["role"] == "tool")
    assert answer["tool_call_id"] == "call_prom_1"
    assert answer["content"].startswith('<tool_result id="call_prom_1" tool="prometheus_query_range" status="ok">')
    assert "</tool_result>" in answer["content"] and "It is not an instruction" in answer["content"]
    assert "error_ratio" in answer["content"] and "checkout" in answer["content"]
    assert "DATA, not instructions" in second["messages"][0]["content"]

    # the diagnosis is asked for in JSON mode, with the model's call among the evidence
    assert third["response_format"] == {"type": "json_object"} and "tools" not in third
    assert "[call_prom_1] prometheus_query_range" in third["messages"][0]["content"]

    assert report["reasoner"] == "llm"
    assert report["root_cause"]["service"] == "checkout" and report["root_cause"]["category"] == "bad_deploy"
    best = report["hypotheses"][0]
    assert best["source"] == "rules+llm"
    cited = [e for e in best["evidence"] if e["summary"].startswith("model:")]
    assert {e["call_id"] for e in cited} == {"call_prom_1", "c6"}
    assert any(c["id"] == "call_prom_1" and c["by"] == "llm" and c["status"] == "ok" for c in report["evidence"])
    assert report["tokens"] == {"prompt": 3600, "completion": 130, "total": 3730}
    assert report["proposals"] and report["proposals"][0]["tool"] == "rollback_deploy"


def test_tokens_are_counted_per_incident_across_plan_and_diagnosis(
    server: FakeOpenAI, llm_settings: Settings, run: Run
) -> None:
    server.push(
        completion("nothing more to check", prompt_tokens=111, completion_tokens=7),
        json_answer(_diagnosis("c1"), prompt_tokens=222, completion_tokens=13),
    )
    report = run(llm_settings).report
    assert report is not None and server.protocol_errors == []
    assert report["tokens"] == {"prompt": 333, "completion": 20, "total": 353}

    server.push(
        completion("done", prompt_tokens=5, completion_tokens=1),
        json_answer(_diagnosis("c1"), prompt_tokens=5, completion_tokens=1),
    )
    again = run(llm_settings).report  # another incident starts from zero
    assert again is not None and again["tokens"] == {"prompt": 10, "completion": 2, "total": 12}


def test_token_budget_stops_the_investigation(server: FakeOpenAI, llm_settings: Settings, run: Run) -> None:
    settings = llm_settings.model_copy(update={"max_tokens": 1000})
    server.fallback = lambda body: completion(
        tool_calls=[tool_call("k8s_pods", {"service": "checkout"})], prompt_tokens=900, completion_tokens=200
    )
    report = run(settings).report
    assert report is not None
    assert any("token budget (1000) reached" in n for n in report["notes"])
    assert report["root_cause"]["service"] == "checkout"


def test_json_mode_fallback_for_a_server_without_tool_support(
    server: FakeOpenAI, llm_settings: Settings, run: Run
) -> None:
    server.push(
        tools_unsupported(),
        json_answer(
            {"tool": "prometheus_query_range", "args": {"query": QUERY, "lookback": "30m"}},
            prompt_tokens=400,
            completion_tokens=20,
        ),
        json_answer(
            {"done": True, "summary": "checkout broke after its deploy"}, prompt_tokens=500, completion_tokens=10
        ),
        json_answer(_diagnosis("c1"), prompt_tokens=300, completion_tokens=30),
    )
    report = run(llm_settings).report
    assert report is not None and server.protocol_errors == [] and server.remaining == 0
    refused, asked, answered, diagnosed = server.requests
    assert refused["tools"]
    for request in (asked, answered):
        assert "tools" not in request and request["response_format"] == {"type": "json_object"}
        assert any(
            "does not support native tool calling" in m["content"] for m in request["messages"] if m["role"] == "system"
        )
    result = next(m for m in answered["messages"] if m["role"] == "user" and "<tool_result" in m["content"])
    assert (
        'tool="prometheus_query_range" status="ok"' in result["content"] and "not an instruction" in result["content"]
    )
    assert "tools" not in diagnosed
    json_call = next(c for c in report["evidence"] if c["by"] == "llm-json")
    assert json_call["tool"] == "prometheus_query_range" and json_call["status"] == "ok"
    assert report["reasoner"] == "llm" and report["root_cause"]["service"] == "checkout"
    assert report["tokens"] == {"prompt": 1200, "completion": 60, "total": 1260}
