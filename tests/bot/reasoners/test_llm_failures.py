"""When the model fails — HTTP errors, timeouts, garbage — the investigation ends in the rules engine's
answer with the failure stated; a model answering nonsense cannot move the root cause."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from bot.settings import Settings
from tests.bot.reasoners.conftest import Run
from tests.support.fake_openai import (
    Delay,
    FakeOpenAI,
    HttpError,
    completion,
    json_answer,
    rate_limited,
    server_error,
    tool_call,
)

DIAGNOSIS = {
    "hypotheses": [
        {"service": "checkout", "category": "bad_deploy", "confidence": 0.8, "summary": "deploy", "evidence": ["c1"]}
    ]
}


def _notes(report: dict[str, Any]) -> str:
    return " | ".join(report["notes"])


@pytest.mark.parametrize(
    ("failure", "stated"),
    [
        (server_error(), "InternalServerError"),
        (rate_limited(), "RateLimitError"),
        (HttpError(503, "overloaded", type="server_error"), "503"),
        (HttpError(401, "Incorrect API key provided", type="invalid_request_error"), "AuthenticationError"),
        (Delay(3.0, completion("too late")), "Timeout"),
        (completion(tool_calls=[tool_call("prometheus_query_range", '{"query": "up", ')]), "malformed tool arguments"),
        (completion(tool_calls=[tool_call("k8s_pods", '["not", "an", "object"]')]), "not an object"),
        ({"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []}, "no choices"),
    ],
    ids=["500", "429", "503", "401", "timeout", "truncated-json-args", "array-args", "no-choices"],
)
def test_planning_failures_fall_back_to_rules_and_say_so(
    failure: Any, stated: str, server: FakeOpenAI, llm_settings: Settings, run: Run, rules_root: dict[str, Any]
) -> None:
    settings = llm_settings.model_copy(update={"llm_timeout_s": 0.5})
    server.push(failure)
    report = run(settings).report
    assert report is not None
    assert report["reasoner"] == "rules"
    assert report["root_cause"] == rules_root
    notes = _notes(report)
    assert "fell back to the rules engine" in notes and stated in notes
    assert len(server.requests) == 1, "no diagnosis request once the model has failed"


@pytest.mark.parametrize(
    "garbage",
    [
        completion("I think it is probably DNS. Definitely DNS."),
        completion('{"hypotheses": "checkout"}'),
        completion('```json\n{"hypotheses": [\n```'),
        server_error(),
    ],
    ids=["prose", "not-a-list", "broken-json", "500"],
)
def test_diagnosis_failures_keep_the_rules_ranking(
    garbage: Any, server: FakeOpenAI, llm_settings: Settings, run: Run, rules_root: dict[str, Any]
) -> None:
    server.push(completion("done looking"), garbage)
    report = run(llm_settings).report
    assert report is not None and server.remaining == 0
    assert report["root_cause"] == rules_root and report["reasoner"] == "rules"
    assert "LLM diagnosis failed" in _notes(report) and "used the rules engine's ranking" in _notes(report)


def test_a_transient_500_is_retried_with_backoff(server: FakeOpenAI, llm_settings: Settings, run: Run) -> None:
    settings = llm_settings.model_copy(update={"llm_max_retries": 2})
    server.push(server_error(), completion("done"), json_answer(DIAGNOSIS))
    report = run(settings).report
    assert report is not None and len(server.requests) == 3
    assert report["reasoner"] == "llm" and "fell back" not in _notes(report)


def test_an_endless_tool_loop_ends_at_the_step_budget(
    server: FakeOpenAI, llm_settings: Settings, run: Run, rules_root: dict[str, Any]
) -> None:
    counter = itertools.count()
    server.fallback = lambda body: completion(
        tool_calls=[
            tool_call("prometheus_query_range", {"query": f'error_ratio{{service="checkout"}} offset {next(counter)}m'})
        ]
    )
    settings = llm_settings.model_copy(update={"max_steps": 5})
    report = run(settings).report
    assert report is not None and server.protocol_errors == []
    assert "investigation stopped: step budget (5) reached" in _notes(report)
    assert report["root_cause"]["service"] == rules_root["service"]
    assert report["root_cause"]["category"] == rules_root["category"]


def _nonsense(rng: random.Random) -> Any:
    """A tiny model's idea of help: invented tools, broken arguments, repeated and colliding call ids."""
    names = [
        "frobnicate",
        "rm -rf /",
        "prometheus_query_range",
        "k8s_pods",
        "",
        "get_weather",
        "drain_queue",
        "loki_query",
        "rank_anomalies",
    ]
    args = [
        {"query": 42},
        {"service": ["a", "b"]},
        {"bogus": True},
        {},
        {"lookback": "forever"},
        {"query": "up", "extra": "x"},
        {"service": "nonexistent-svc"},
    ]

    def answer(body: dict[str, Any]) -> dict[str, Any]:
        if body.get("response_format"):
            return json_answer(
                {
                    "hypotheses": [
                        {
                            "service": "payments",
                            "category": "dns_failure",
                            "confidence": 1.0,
                            "summary": "DNS",
                            "evidence": [],
                        },
                        {
                            "service": "catalog",
                            "category": "bad_deploy",
                            "confidence": 1.0,
                            "summary": "catalog deploy",
                            "evidence": ["c999", "call_0"],
                        },
                        {"service": "nonexistent-svc", "category": "aliens", "confidence": 9, "evidence": ["c1"]},
                        {"service": "gateway", "category": "bad_deploy", "confidence": "very", "evidence": ["c1"]},
                        "just a string",
                        None,
                    ]
                }
            )
        calls = [
            tool_call(rng.choice(names), rng.choice(args), call_id=rng.choice(["call_0", "c1", "c2", "x"]))
            for _ in range(rng.randint(1, 3))
        ]
        return completion(rng.choice([None, "", "calling tools!!!"]), tool_calls=calls)

    return answer


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_nonsense_model_cannot_move_the_root_cause(
    seed: int, server: FakeOpenAI, llm_settings: Settings, run: Run, rules_root: dict[str, Any]
) -> None:
    server.fallback = _nonsense(random.Random(seed))
    report = run(llm_settings).report
    assert report is not None
    assert server.protocol_errors == [], "every tool call the model made was answered exactly once"
    assert report["root_cause"]["service"] == rules_root["service"]
    assert report["root_cause"]["category"] == rules_root["category"]
    for hypothesis in report["hypotheses"]:
        assert hypothesis["evidence"], "no hypothesis without evidence"
        assert all(
            not e["summary"].startswith("model:") for e in hypothesis["evidence"] if hypothesis["service"] != "checkout"
        )
    assert all(p["tool"] != "drain_queue" for p in report["proposals"])
