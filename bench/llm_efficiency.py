"""7. LLM efficiency: tokens, tool calls and wall time per scenario for one chat model on any
OpenAI-compatible server (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``), next to the rules reasoner on the
same scenarios. Skipped, with a note, when no endpoint is configured."""

from __future__ import annotations

import os
import time
from typing import Any

from bench.eval_throughput import quick_scenarios
from bench.result import BenchOptions, Result
from bench.system import median

__all__ = ["NAME", "run"]

NAME = "llm"


def _suite(paths: list[Any], reasoner: str, model: str | None) -> tuple[dict[str, Any], float]:
    from evals.runner import EvalOptions, run_suite

    started = time.perf_counter()
    summary = run_suite(paths, EvalOptions(reasoner=reasoner, model=model, jobs=1))
    return summary, time.perf_counter() - started


def run(options: BenchOptions) -> Result:
    title = "LLM efficiency"
    target = "none (reported)"
    if not (os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL")):
        return Result(
            name=NAME,
            title=title,
            target=target,
            runs=0,
            measured="tokens, tool calls and wall time per scenario for a chat model",
            skipped="no LLM endpoint: set OPENAI_API_KEY (and OPENAI_BASE_URL for a self-hosted or other "
            "OpenAI-compatible server), then andon bench --only llm --model NAME",
        )
    from bot.settings import load_settings

    model = options.model or load_settings().model
    paths = quick_scenarios(2 if options.quick else 8)
    llm, llm_s = _suite(paths, "llm", model)
    rules, rules_s = _suite(paths, "rules", None)
    per = llm["per_scenario"]
    per_scenario = [
        {
            "id": s["id"],
            "tokens": s["tokens"],
            "tool_calls": s["tool_calls"],
            "steps": s["steps"],
            "seconds": s["duration_s"],
            "passed": s["passed"],
            "error": s.get("error"),
        }
        for s in per
    ]
    tokens = median([s["tokens"] for s in per])
    calls = median([s["tool_calls"] for s in per])
    seconds = median([s["duration_s"] for s in per])
    return Result(
        name=NAME,
        title=title,
        measured=f"{len(per)} scenarios through the graph with the llm reasoner ({model} at "
        f"{os.environ.get('OPENAI_BASE_URL') or 'the OpenAI API'}), -j 1, next to the rules reasoner",
        target=target,
        runs=len(per),
        headline=f"{model}: {tokens:.0f} tokens · {calls:.0f} tool calls · {seconds:.1f} s per scenario (median); "
        f"top-1 {llm['top1_accuracy']:.2f} vs rules {rules['top1_accuracy']:.2f}",
        met=None,
        metrics={
            "model": model,
            "per_scenario": per_scenario,
            "tokens_median": tokens,
            "tool_calls_median": calls,
            "seconds_median": seconds,
            "tokens_total": llm["tokens"],
            "cost_usd": llm["cost_usd"],
            "errors": llm["errors"],
            "llm": {"top1_accuracy": llm["top1_accuracy"], "wall_s": round(llm_s, 1)},
            "rules": {"top1_accuracy": rules["top1_accuracy"], "wall_s": round(rules_s, 1)},
        },
    )
