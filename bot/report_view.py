"""What people read of a report, wherever it is shown (the terminal, the Slack card, the demo's thread):
each hypothesis' own evidence, no fact said twice, log lines instead of log templates, no word cut in
half, and only the past incidents that really relate to the root cause.

The report's JSON keeps the engine's data as it is; these functions only shape what is displayed. ``shorten``
is :func:`knowledge.snippets.snippet`, the one word-boundary cutter: search hits, ``/andon runbook`` and the
terminal cut text alike."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from knowledge.snippets import snippet as shorten

__all__ = [
    "RELATED_MIN_SCORE",
    "FALSE_ALARM",
    "log_examples",
    "readable",
    "shorten",
    "distinct_evidence",
    "own_evidence",
    "shared_evidence",
    "related_incidents",
    "model_weight",
]

RELATED_MIN_SCORE = 0.11
"""Below this score (third or fourth in both searches; first in both: 0.136) a shared service is chance."""
FALSE_ALARM = "no_fault"
"""The category of a past false alarm: no likeness to a real fault, whatever service it was on."""

_PLACEHOLDER = re.compile(r"<\*>|<(?:NUM|IP|HEX|UUID|ID|SEQ|PATH|URL|EMAIL|CMD)>")
"""drain3's masks: a log template's variable parts."""
_QUOTED = re.compile(r"'([^'\n]+)'")
_NUMBERS = re.compile(r"\d[\w.]*")
_WORDS = re.compile(r"[a-z_]{2,}")


def log_examples(calls: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Each mined log template → one real line it stands for, from the ``log_template_spikes`` results."""
    out: dict[str, str] = {}
    for call in calls:
        if call.get("tool") != "log_template_spikes" or not isinstance(call.get("data"), list):
            continue
        for spike in call["data"]:
            if isinstance(spike, dict) and spike.get("template") and spike.get("examples"):
                out.setdefault(str(spike["template"]), str(spike["examples"][-1]))
    return out


def _whole(quoted: str, examples: dict[str, str]) -> str | None:
    """The full log line a quoted (perhaps truncated) template or log line stands for."""
    for template, example in examples.items():
        if quoted in (template, example):
            return example
    if len(quoted) >= 20:
        return next(
            (
                example
                for template, example in examples.items()
                if template.startswith(quoted) or example.startswith(quoted.rstrip("…"))
            ),
            None,
        )
    return None


def readable(text: str, examples: dict[str, str] | None = None, limit: int = 160) -> str:
    """``text`` with each quoted log template replaced by a real line it matched (``examples``, from
    :func:`log_examples`); a quoted line cut mid-word is cut again at a word; any placeholder left is ``…``."""

    def swap(match: re.Match[str]) -> str:
        quoted = match.group(1)
        whole = _whole(quoted, examples or {})
        if whole is None:
            return match.group(0)
        if len(whole) > len(quoted) and whole.startswith(quoted.rstrip("…")) and not _PLACEHOLDER.search(quoted):
            return f"'{shorten(whole, max(len(quoted), 40))}'"  # a line the tool cut: cut at a word instead
        return f"'{shorten(whole, limit)}'"

    text = _QUOTED.sub(swap, text)
    return re.sub(r"(?:…\s*)+…", "…", _PLACEHOLDER.sub("…", text))


def _key(item: dict[str, Any]) -> tuple[str, str, str, bool]:
    return (str(item.get("call_id")), str(item.get("tool")), str(item.get("summary")), bool(item.get("supports", True)))


def _restates(plain: dict[str, Any], check: dict[str, Any]) -> bool:
    """Whether a runbook check (``✓ label: fact``) says the same fact as a plain clue from the same call: the
    clue's text is in it, or all its numbers are (an anomaly's before → after), or all its words are (a log
    line, once as template and once as example)."""
    if plain.get("call_id") != check.get("call_id"):
        return False
    said, told = str(plain.get("summary", "")), str(check.get("summary", ""))
    if said and said in told:
        return True
    numbers = set(_NUMBERS.findall(said))
    if numbers and numbers <= set(_NUMBERS.findall(told)):
        return True
    words = set(_WORDS.findall(_PLACEHOLDER.sub(" ", said).lower()))
    return bool(words) and words <= set(_WORDS.findall(told.lower()))


def distinct_evidence(evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``evidence`` without the plain clues a supporting runbook check repeats (the check keeps its label)."""
    checks = [e for e in evidence if e.get("tool") == "runbook_check" and e.get("supports", True)]
    return [e for e in evidence if e.get("tool") == "runbook_check" or not any(_restates(e, c) for c in checks)]


def shared_evidence(hypotheses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The evidence every one of several hypotheses cites (the suspect service's anomalies, its changes)."""
    if len(hypotheses) < 2:
        return []
    common = set.intersection(*({_key(e) for e in h.get("evidence", [])} for h in hypotheses))
    return [e for e in hypotheses[0].get("evidence", []) if _key(e) in common]


def own_evidence(hypothesis: dict[str, Any], shared: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What ``hypothesis`` cites beyond the ``shared`` evidence — what tells it apart — without repeats."""
    common = {_key(e) for e in shared}
    return distinct_evidence([e for e in hypothesis.get("evidence", []) if _key(e) not in common])


def related_incidents(similar: list[dict[str, Any]], root: dict[str, Any]) -> list[dict[str, Any]]:
    """The retrieved past incidents worth showing next to ``root`` (``service``, ``category``): those of the
    same service and category (retrieved at all: both matching is no chance), and those sharing one of the two
    that score at least :data:`RELATED_MIN_SCORE`; never a false alarm beside a fault. Each gets ``matched``
    (why it is shown), both matches first."""
    service, category = root.get("service"), root.get("category")
    chosen = []
    for hit in similar:
        same_service = bool(service) and service in (hit.get("services") or [])
        same_category = bool(category) and hit.get("category") == category
        if hit.get("category") == FALSE_ALARM and category != FALSE_ALARM:
            continue
        if not (same_service and same_category) and (
            not (same_service or same_category) or float(hit.get("score") or 0.0) < RELATED_MIN_SCORE
        ):
            continue
        matched = (
            "same service and category"
            if same_service and same_category
            else "same category"
            if same_category
            else "same service"
        )
        chosen.append({**hit, "matched": matched, "_rank": (same_service and same_category, same_category)})
    chosen.sort(key=lambda h: (h["_rank"], float(h.get("score") or 0.0)), reverse=True)
    return [{k: v for k, v in h.items() if k != "_rank"} for h in chosen]


def model_weight(report: dict[str, Any]) -> str:
    """How much the model's ranking counted, for a footer ("model weight 0.35, calibrated"), or "" when no
    model ranked (the rules reasoner, or a fallback to it)."""
    trust = report.get("trust") or {}
    if not isinstance(trust.get("weight"), int | float):
        return ""
    return f"model weight {float(trust['weight']):.2f}, {'calibrated' if trust.get('calibrated') else 'uncalibrated'}"
