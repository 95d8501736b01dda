"""Optional LLM judge: score a report's explanation against a scenario's rubric (off by default)."""

from __future__ import annotations

from typing import Any

from bot.prompts import render
from bot.reasoners.llm.client import ChatClient, extract_json
from bot.settings import Settings
from evals.scenario import Scenario

__all__ = ["judge"]


def judge(settings: Settings, model: str, scenario: Scenario, report: dict[str, Any]) -> float:
    client = ChatClient(settings.model_copy(update={"model": model}))
    prompt = render("judge", rubric=scenario.expected.rubric, summary=report.get("summary", ""))
    answer = extract_json(client.chat([{"role": "user", "content": prompt}], json_mode=True).content)
    return max(0.0, min(1.0, float(answer.get("score", 0.0))))
