"""Answers to follow-up questions in an incident's thread, from the incident's report.

With the rules reasoner the answer is assembled deterministically from the evidence (which hypothesis a
service is in and why, the log/metric/change results, runbooks, proposals). With the llm reasoner the
model answers with ``prompts/answer.j2``, citing tool calls; if it fails, the rules answer is used."""

from __future__ import annotations

import re
import threading
from typing import Any

from bot.prompts import render
from bot.settings import Settings

__all__ = ["Answerer", "rules_answer", "looks_like_question"]

_DB_WORDS = ("database", "db", "postgres", "mysql", "sql")
_QUESTION_START = re.compile(
    r"^(why|what|how|which|who|when|where|is|are|was|were|did|does|do|can|could|should|"
    r"show|list|explain|tell|give)\b",
    re.I,
)
_TOPICS: list[tuple[tuple[str, ...], tuple[str, ...], str]] = [
    (("log", "exception", "stack"), ("log",), "Log evidence"),
    (
        ("metric", "graph", "latency", "error rate", "error ratio", "cpu", "memory"),
        ("prometheus", "rank_anomalies"),
        "Metric evidence",
    ),
    (("deploy", "change", "release", "rollout", "version", "flag", "config"), ("change",), "Recent changes"),
    (("pod", "kubernetes", "k8s", "node", "restart"), ("k8s",), "Kubernetes evidence"),
    (("alert",), ("alert",), "Alerts"),
]


def looks_like_question(text: str) -> bool:
    """Whether a thread reply is addressed to Andon as a question (not responders talking to each other)."""
    stripped = text.strip()
    return stripped.endswith("?") or "?" in stripped or bool(_QUESTION_START.match(stripped))


def _pct(value: Any) -> str:
    return f"{float(value or 0) * 100:.0f}%"


def _hypothesis_line(rank: int, h: dict[str, Any]) -> str:
    return f"#{rank} {str(h['category']).replace('_', ' ')} on *{h['service']}* ({_pct(h['confidence'])})"


def _evidence_lines(h: dict[str, Any], limit: int = 4) -> list[str]:
    return [
        f"  {'✓' if e.get('supports', True) else '✗'} [{e.get('call_id')}] {e.get('summary')}"
        for e in h.get("evidence", [])[:limit]
    ]


def _mentioned(question: str, report: dict[str, Any], known: list[str]) -> list[str]:
    services = {h["service"] for h in report.get("hypotheses", [])} | set(report["incident"].get("services", []))
    services |= set(known)
    for call in report.get("evidence", []):
        service = (call.get("args") or {}).get("service")
        if service:
            services.add(str(service))
    lowered = question.lower()
    found = [s for s in services if re.search(rf"(?<![\w-]){re.escape(s.lower())}(?![\w-])", lowered)]
    if any(re.search(rf"\b{w}\b", lowered) for w in _DB_WORDS):
        found += [s for s in services if any(w in s.lower() for w in _DB_WORDS) and s not in found]
    return sorted(found, key=lambda s: lowered.find(s.lower()) if s.lower() in lowered else len(lowered))


def _about_service(service: str, report: dict[str, Any]) -> list[str]:
    hypotheses = report.get("hypotheses", [])
    top = hypotheses[0] if hypotheses else None
    ranked = [(i, h) for i, h in enumerate(hypotheses, start=1) if h["service"] == service]
    lines = [f"*{service}*"]
    if top is not None and top["service"] == service:
        lines.append(f"It *is* the most likely root cause: {_hypothesis_line(1, top)}.")
        lines += _evidence_lines(top)
        return lines
    if ranked:
        for rank, h in ranked[:2]:
            lines.append(f"Considered as {_hypothesis_line(rank, h)}:")
            lines += _evidence_lines(h)
    else:
        ranking = next((c for c in report.get("evidence", []) if c.get("tool") == "rank_anomalies"), None)
        if ranking is not None and service not in str(ranking.get("summary", "")):
            lines.append(f"No hypothesis names {service}: the anomaly ranking [{ranking['id']}] did not flag it.")
        else:
            lines.append(f"No hypothesis names {service}; no collected evidence points at it.")
    related = [c for c in report.get("evidence", []) if service in str(c.get("summary", ""))][:4]
    lines += [f"  • [{c['id']}] {c['tool']}: {c['summary']}" for c in related]
    if top is not None:
        lines.append(f"The evidence points elsewhere: {_hypothesis_line(1, top)}, because:")
        lines += [line for line in _evidence_lines(top, 3)]
    return lines


def rules_answer(report: dict[str, Any], question: str, services: list[str] | None = None) -> str:
    """A deterministic answer from the report's evidence, citing tool-call ids. ``services`` are the
    system's known services, so questions about one no hypothesis names are answered too."""
    lowered = question.lower()
    hypotheses = report.get("hypotheses", [])
    calls = report.get("evidence", [])
    lines: list[str] = []
    for service in _mentioned(question, report, services or [])[:2]:
        lines += _about_service(service, report)
    for words, tools, title in _TOPICS:
        if any(w in lowered for w in words):
            chosen = [c for c in calls if any(t in str(c.get("tool", "")) for t in tools)]
            if "error" in lowered and title == "Log evidence":
                chosen = [
                    c for c in chosen if re.search(r"(?i)error|exception|5\d\d|fail", str(c.get("summary")))
                ] or chosen
            lines.append(f"*{title}*")
            lines += [f"• [{c['id']}] {c['tool']} ({c['status']}): {c['summary']}" for c in chosen[:8]] or [
                "• none was collected in this investigation"
            ]
    if any(w in lowered for w in ("runbook", "playbook")):
        lines.append(
            "*Runbooks:* "
            + (", ".join(f"{r['title']} (`{r['doc_id']}`)" for r in report.get("runbooks", [])[:3]) or "none matched")
        )
    if any(w in lowered for w in ("similar", "past", "before", "happened")):
        lines.append(
            "*Similar past incidents:* "
            + (
                ", ".join(
                    f"{r['title']} (`{r['doc_id']}`, {r['matched']})" for r in report.get("related_incidents", [])[:3]
                )
                or "none on the same service or of the same kind"
            )
        )
    if any(w in lowered for w in ("fix", "action", "rollback", "roll back", "mitigat", "do now", "remediat")):
        lines.append("*Proposed actions:*")
        lines += [
            f"• `{p['tool']}` {p['args']} — {p['risk']}: {p.get('effect', '')}" for p in report.get("proposals", [])
        ] or ["• none proposed"]
        lines += [
            f"• ran `{a['tool']}`: {a.get('status')} ({a.get('decision', '')})" for a in report.get("actions", [])
        ]
    if any(w in lowered for w in ("hypothes", "else", "alternative", "other", "confiden", "sure", "rank")) or not lines:
        if not lines:
            lines.append(report.get("summary") or "No summary yet.")
        lines.append("*Ranked hypotheses:*")
        for rank, h in enumerate(hypotheses[:5], start=1):
            lines.append(_hypothesis_line(rank, h))
        if not any(w in lowered for w in ("hypothes", "else", "alternative", "other", "confiden", "sure", "rank")):
            lines.append(
                "_Ask about a service (“why not the database?”), the logs, metrics, recent changes, "
                "runbooks or the proposed fix._"
            )
    return "\n".join(lines)


class Answerer:
    """Answers questions about one incident's report, with the reasoner the settings name."""

    def __init__(self, settings: Settings, services: list[str] | None = None) -> None:
        self.settings = settings
        self.services = list(services or [])
        self._client: Any = None
        self._lock = threading.Lock()

    def answer(self, report: dict[str, Any] | None, question: str) -> str:
        if report is None:
            return "I'm still investigating — the root-cause card will appear in this thread; ask again then."
        if self.settings.reasoner != "llm":
            return rules_answer(report, question, self.services)
        from bot.reasoners.llm.client import LLMError

        try:
            return self._ask_model(report, question)
        except LLMError as exc:
            return (
                rules_answer(report, question, self.services)
                + f"\n_(the LLM failed: {exc}; answered from the evidence directly)_"
            )

    def _ask_model(self, report: dict[str, Any], question: str) -> str:
        from bot.reasoners.llm.client import ChatClient

        with self._lock:
            if self._client is None:
                self._client = ChatClient(self.settings)
        prompt = render(
            "answer",
            incident=report["incident"],
            summary=report.get("summary", ""),
            hypotheses=report.get("hypotheses", [])[:5],
            calls=report.get("evidence", [])[:40],
            proposals=report.get("proposals", []),
            actions=report.get("actions", []),
            question=question,
        )
        reply = self._client.chat([{"role": "user", "content": prompt}])
        return str(reply.content).strip() or rules_answer(report, question, self.services)
