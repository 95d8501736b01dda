"""Models of known accuracy, for tests: an answer function for :class:`tests.support.fake_openai.FakeOpenAI`
that knows each scenario's truth and is right with probability ``p``.

Given the expected (service, category) of each incident by its title (:func:`scenario_truths` reads them
from the scenarios' ``expected``), it reads the diagnosis prompt as a model would — the incident title, the
rules engine's ranking, the evidence by service with call ids — and answers, seeded per incident:

- with probability ``p``, the truth, citing the call ids the prompt lists for the true service;
- otherwise a plausible wrong hypothesis — another hypothesis of the rules engine's list, or another
  service of the evidence with a wrong category — citing the call ids listed for that service.

Both come with the same stated confidence, so only calibration can tell a strong model from a weak one.
While investigating it makes one read call (the leading suspect's error ratio), then says it is done.
The draw for an incident does not depend on ``p``: the same seed makes the p = 0.95 model right wherever
the p = 0.1 one is.

    oracle = Oracle(scenario_truths([Path("evals/sealed")]), p=0.95, seed=0)
    with fake_openai(fallback=oracle) as server:
        ...
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.fake_openai import completion, json_answer, tool_call

__all__ = ["Oracle", "request_sizes", "scenario_truths"]

_TITLE = re.compile(r"^Incident: (.*)$", re.M)
_RULES = re.compile(r"^- ([a-z_]+) on (\S+) \(\d", re.M)
_LEADING = re.compile(r"^- [a-z_]+ on (\S+) \(confidence", re.M)
_SERVICES = re.compile(r"^service must be one of: (.*)\.$", re.M)
_CATEGORIES = re.compile(r"^- category must be one of: (.*)\.$", re.M)
_IDS = re.compile(r"\[([A-Za-z0-9_.-]+)\]")


def scenario_truths(suites: list[Path]) -> dict[str, tuple[str, str]]:
    """Incident title → the expected (service, category), for every scenario under ``suites``."""
    from bot.intake import incident_from_trigger
    from evals.rcaeval import is_case
    from evals.scenario import find_scenarios, load_scenario

    truths: dict[str, tuple[str, str]] = {}
    for folder in find_scenarios(suites):
        if is_case(folder):
            continue
        scenario = load_scenario(folder)
        incident = incident_from_trigger(
            scenario.trigger_payload(), now=scenario.reference, known_services=list(scenario.topology)
        )
        truths[incident.title.strip()] = (scenario.expected.service, scenario.expected.category)
    return truths


def _by_service(prompt: str) -> dict[str, list[str]]:
    """The evidence block's call ids per service."""
    block = prompt.split("<evidence>", 1)[-1].split("</evidence>", 1)[0]
    out: dict[str, list[str]] = {}
    current = None
    for line in block.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            current = line[:-1]
            out[current] = []
        elif current and line.strip().startswith("["):
            out[current] += _IDS.findall(line)[:1]
    return out


@dataclass
class Oracle:
    truths: dict[str, tuple[str, str]]
    p: float
    seed: int = 0
    confidence: float = 0.85
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Incident title → what it answered (``correct``, ``service``, ``category``)."""
    unknown: list[str] = field(default_factory=list)
    """Titles it was asked about and had no truth for."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        text = "\n".join(str(m.get("content") or "") for m in body["messages"])
        if '{"hypotheses": [' in text:
            return json_answer(self.diagnose(text))
        asked = any(m.get("role") == "assistant" for m in body["messages"])
        leading = _LEADING.search(text)
        if asked or leading is None:
            return (
                json_answer({"done": True, "summary": "seen enough"})
                if not body.get("tools")
                else completion("The evidence is in; nothing more to read.")
            )
        args = {"query": f'error_ratio{{service="{leading.group(1)}"}}', "lookback": "30m"}
        if not body.get("tools"):  # JSON mode
            return json_answer({"tool": "prometheus_query_range", "args": args})
        return completion(tool_calls=[tool_call("prometheus_query_range", args)])

    def diagnose(self, prompt: str) -> dict[str, Any]:
        title_match = _TITLE.search(prompt)
        title = title_match.group(1).strip() if title_match else ""
        evidence = _by_service(prompt)
        everything = list(dict.fromkeys(_IDS.findall(prompt.split("<evidence>", 1)[-1])))
        rules = _RULES.findall(prompt)
        if title not in self.truths:
            with self._lock:
                self.unknown.append(title)
            return {"hypotheses": []}
        service, category = self.truths[title]
        rng = random.Random(f"{self.seed}|{title}")
        correct = rng.random() < self.p
        if not correct:
            services_line = _SERVICES.search(prompt)
            categories_line = _CATEGORIES.search(prompt)
            known = categories_line.group(1).split(", ") if categories_line else [category]
            allowed = set(services_line.group(1).split(", ")) if services_line else set(evidence)
            pool = [(s, c) for c, s in rules if (s, c) != (service, category)]
            pool += [(s, rng.choice(known)) for s in evidence if s in allowed]
            pool = [pair for pair in dict.fromkeys(pool) if pair != (service, category)]
            if pool:
                service, category = rng.choice(pool)
            else:
                correct = True
        cited = evidence.get(service) or everything[:3]
        with self._lock:
            self.answers[title] = {"correct": correct, "service": service, "category": category}
        return {
            "hypotheses": [
                {
                    "service": service,
                    "category": category,
                    "confidence": self.confidence,
                    "summary": f"{category.replace('_', ' ')} on {service}",
                    "evidence": cited,
                }
            ]
        }

    def accuracy(self) -> float:
        """The share of incidents it answered correctly."""
        return sum(a["correct"] for a in self.answers.values()) / max(len(self.answers), 1)


def request_sizes(requests: list[dict[str, Any]]) -> list[int]:
    """Each recorded request's prompt tokens, estimated as Andon estimates them."""
    from bot.reasoners.llm.budget import estimate_tokens

    return [estimate_tokens(r["messages"], r.get("tools")) for r in requests]
