"""Every model request stays within ``ANDON_MAX_PROMPT_TOKENS`` (estimated as characters / 4): the evidence
is summarised per service at the most detail that fits, the model's own results share what room is left,
and when nothing more fits the model stops investigating and says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.reasoners.llm.budget import estimate_tokens, share_room
from bot.settings import Settings, load_settings
from evals.runner import EvalOptions, run_suite
from tests.bot.reasoners.conftest import Run
from tests.support.fake_openai import FakeOpenAI, completion, fake_openai, json_answer, tool_call
from tests.support.fake_oracle import Oracle, request_sizes, scenario_truths

ROOT = Path(__file__).resolve().parents[3]


def _sizes(server: FakeOpenAI) -> list[int]:
    return [estimate_tokens(r["messages"], r.get("tools")) for r in server.requests]


def test_room_goes_first_to_the_small_results_then_equally() -> None:
    assert share_room([100, 5000, 40, 9000], 3000, cap=2500) == [100, 1430, 40, 1430]
    assert share_room([100, 200], 10_000, cap=150) == [100, 150]
    assert share_room([100, 200], -5, cap=150) == [0, 0]


def test_a_model_that_keeps_reading_stops_at_the_budget(server: FakeOpenAI, llm_settings: Settings, run: Run) -> None:
    server.fallback = lambda body: (
        json_answer({"hypotheses": []})
        if body.get("response_format")
        else completion(
            tool_calls=[
                tool_call("logs_query", {"service": "checkout", "lookback": f"{len(body['messages'])}m"}),
                tool_call("k8s_events", {"service": "checkout"}),
            ]
        )
    )
    report = run(llm_settings.model_copy(update={"max_steps": 12})).report
    assert report is not None and server.protocol_errors == []
    assert len(server.requests) >= 3 and max(_sizes(server)) <= llm_settings.max_prompt_tokens == 3000
    assert any("the model stopped investigating: prompt budget (3000 tokens) reached" in n for n in report["notes"])
    assert report["reasoner"] == "llm"


def test_a_tiny_budget_still_gets_a_diagnosis_within_it(
    server: FakeOpenAI, llm_settings: Settings, run: Run, rules_root: dict[str, object]
) -> None:
    server.fallback = lambda body: json_answer(
        {"hypotheses": [{"service": "checkout", "category": "bad_deploy", "confidence": 0.9, "evidence": ["c6"]}]}
    )
    report = run(llm_settings.model_copy(update={"max_prompt_tokens": 900})).report
    assert report is not None and server.protocol_errors == []
    assert len(server.requests) == 1 and max(_sizes(server)) <= 900, "only the diagnosis: the opening cannot fit"
    assert any("its opening prompt does not fit the prompt budget (900 tokens)" in n for n in report["notes"])
    assert report["reasoner"] == "llm" and report["root_cause"]["service"] == rules_root["service"]


def test_the_budget_holds_over_a_suite_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    suite = [ROOT / "evals" / "sealed" / name for name in ("s3-sms-vendor-throttling", "s6-configmap-env-crashloop")]
    oracle = Oracle(scenario_truths(suite), p=1.0)
    monkeypatch.setenv("ANDON_CONFIG_FILE", str(tmp_path / "absent.yaml"))
    with fake_openai(fallback=oracle) as server:
        settings = load_settings(
            data_dir=tmp_path,
            openai_base_url=server.url,
            openai_api_key="test",
            llm_max_retries=0,
            max_prompt_tokens=2000,
        )
        summary = run_suite(suite, EvalOptions(reasoner="llm", jobs=1), base=settings)
        sizes = request_sizes(server.requests)
    assert summary["errors"] == 0 and len(oracle.answers) == 2 and server.protocol_errors == []
    assert len(sizes) >= 6 and max(sizes) <= 2000, sizes
