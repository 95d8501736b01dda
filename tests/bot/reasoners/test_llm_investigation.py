"""The llm reasoner end to end against a local OpenAI-compatible server, through the real ``openai`` SDK:
a tool-call round trip whose result comes back as delimited data, a diagnosis that cites call ids,
token accounting, the JSON-mode fallback for endpoints that cannot call tools, the JSON-answer formats an
endpoint takes, and one request per incident for a model that does not investigate."""

from __future__ import annotations

from typing import Any

from bot.settings import Settings
from tests.bot.reasoners.conftest import Run
from tests.support.fake_openai import FakeOpenAI, HttpError, completion, json_answer, tool_call, tools_unsupported

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
    # (constrained to a schema of this incident's services, categories and call ids), stable instructions first
    assert third["response_format"]["type"] == "json_schema" and "tools" not in third
    item = third["response_format"]["json_schema"]["schema"]["properties"]["hypotheses"]["items"]["properties"]
    assert "checkout" in item["service"]["enum"] and "bad_deploy" in item["category"]["enum"]
    assert {"call_prom_1", "c6"} <= set(item["evidence"]["items"]["enum"])
    assert third["messages"][0]["role"] == "system" and "Rank root-cause hypotheses" in third["messages"][0]["content"]
    assert "[call_prom_1] prometheus_query_range" in third["messages"][-1]["content"]
    assert all(r["max_tokens"] == llm_settings.max_output_tokens for r in server.requests)

    assert report["reasoner"] == "llm"
    assert report["root_cause"]["service"] == "checkout" and report["root_cause"]["category"] == "bad_deploy"
    best = report["hypotheses"][0]
    assert best["source"] == "rules+llm"
    cited = [e for e in best["evidence"] if e["summary"].startswith("model:")]
    assert {e["call_id"] for e in cited} == {"call_prom_1", "c6"}
    assert any(c["id"] == "call_prom_1" and c["by"] == "llm" and c["status"] == "ok" for c in report["evidence"])
    assert report["tokens"] == {"prompt": 3600, "completion": 130, "total": 3730, "calls": 3}
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
    assert report["tokens"] == {"prompt": 333, "completion": 20, "total": 353, "calls": 2}

    server.push(
        completion("done", prompt_tokens=5, completion_tokens=1),
        json_answer(_diagnosis("c1"), prompt_tokens=5, completion_tokens=1),
    )
    again = run(llm_settings).report  # another incident starts from zero
    assert again is not None and again["tokens"] == {"prompt": 10, "completion": 2, "total": 12, "calls": 2}


def test_a_model_that_does_not_investigate_is_asked_once(server: FakeOpenAI, llm_settings: Settings, run: Run) -> None:
    """ANDON_LLM_INVESTIGATE=false: no planning request, only the diagnosis (one model call per incident)."""
    server.push(json_answer(_diagnosis("c1"), prompt_tokens=222, completion_tokens=13))
    report = run(llm_settings.model_copy(update={"llm_investigate": False})).report
    assert report is not None and server.protocol_errors == [] and len(server.requests) == 1
    assert "tools" not in server.requests[0] and server.requests[0]["response_format"]["type"] == "json_schema"
    assert report["reasoner"] == "llm" and report["tokens"]["calls"] == 1


def test_the_tokens_of_an_unusable_diagnosis_still_count(server: FakeOpenAI, llm_settings: Settings, run: Run) -> None:
    server.push(
        completion("done", prompt_tokens=100, completion_tokens=5),
        completion('{"hypotheses": [{"service": "checkout", "categ', prompt_tokens=300, completion_tokens=512),
    )
    report = run(llm_settings).report
    assert report is not None and report["reasoner"] == "rules"
    assert any("LLM diagnosis failed" in n for n in report["notes"])
    assert report["tokens"] == {"prompt": 400, "completion": 517, "total": 917, "calls": 2}


def test_json_answers_step_down_to_what_the_endpoint_takes(
    server: FakeOpenAI, llm_settings: Settings, run: Run
) -> None:
    """Structured outputs refused (llama-cpp-python answers 500), then a schema beside json_object refused:
    plain json_object, remembered for the rest of the incident."""
    server.push(
        completion("done", prompt_tokens=10, completion_tokens=1),
        HttpError(500, "Input should be 'text' or 'json_object' (response_format.type)"),
        HttpError(500, "Input should be 'text' or 'json_object' (response_format.type)"),
        HttpError(400, "response_format: unknown field 'schema'"),
        json_answer(_diagnosis("c1"), prompt_tokens=20, completion_tokens=3),
    )
    report = run(llm_settings.model_copy(update={"llm_max_retries": 1})).report
    assert report is not None and report["reasoner"] == "llm", report["notes"]
    formats = [r.get("response_format") for r in server.requests[1:]]
    assert [f["type"] for f in formats] == ["json_schema", "json_schema", "json_object", "json_object"]
    assert "schema" in formats[2] and "schema" not in formats[3]


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
    assert report["tokens"] == {"prompt": 1200, "completion": 60, "total": 1260, "calls": 3}
