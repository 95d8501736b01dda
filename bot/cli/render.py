"""Rich rendering of an investigation report for the terminal: the incident, the tool calls, the ranked
hypotheses (each with the evidence that sets it apart), the proposed fixes and the RCA summary.

Text is shaped by :mod:`bot.report_view` (log lines instead of templates, no fact twice, cuts at word
boundaries) and the summary's Slack mrkdwn is shown as styled text, never as literal ``*`` and backticks.
An evidence line that describes a series ends with its sparkline, when given one
(:func:`bot.charts.evidence.evidence_sparklines`)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.charts.sparkline import spark_key
from bot.cli.mrkdwn import mrkdwn_to_rich
from bot.report_view import (
    distinct_evidence,
    log_examples,
    model_weight,
    own_evidence,
    readable,
    shared_evidence,
    shorten,
)

__all__ = ["render_report", "MAX_HYPOTHESES", "EVIDENCE_PER_HYPOTHESIS"]

MAX_HYPOTHESES = 5
EVIDENCE_PER_HYPOTHESIS = 4
SUMMARY_CHARS = 240
"""Longest tool-call summary shown in the evidence table (cut at a word; the JSON keeps it whole)."""


def _cited(item: dict[str, Any], examples: dict[str, str], sparklines: dict[str, str]) -> Text:
    """One piece of evidence: ✓ (supports) or ✗ (refutes), the call it comes from, what it says, and the
    shape of the series it describes."""
    supports = item.get("supports", True)
    text = readable(str(item.get("summary", "")), examples).lstrip("✓✗ ")
    line = Text("✓ " if supports else "✗ ", style="green" if supports else "red")
    line.append(f"[{item.get('call_id', '?')}] ", style="dim")
    line.append(shorten(text, SUMMARY_CHARS))
    spark = sparklines.get(spark_key(item))
    if spark:
        line.append(f" {spark}", style="cyan")
    return line


def _evidence_cell(items: list[dict[str, Any]], examples: dict[str, str], sparklines: dict[str, str]) -> Text:
    if not items:
        return Text("only the evidence every hypothesis shares", style="dim")
    return Text("\n").join(_cited(item, examples, sparklines) for item in items[:EVIDENCE_PER_HYPOTHESIS])


def render_report(console: Console, report: dict[str, Any], sparklines: dict[str, str] | None = None) -> None:
    incident = report["incident"]
    examples = log_examples(report["evidence"])
    head = Text(incident["title"], style="bold")
    head.append(
        f"\nservices: {', '.join(incident['services']) or '—'} · severity: {incident['severity']} · "
        f"source: {incident['source']} · incident: {incident['id']}"
    )
    console.print(Panel(head, title="Incident"))

    evidence = Table(title="Evidence (tool calls)")
    for column in ("id", "tool", "status", "summary"):
        evidence.add_column(column, overflow="fold")
    for call in report["evidence"]:
        evidence.add_row(
            Text(call["id"]),
            Text(call["tool"]),
            Text(call["status"]),
            Text(shorten(readable(str(call["summary"]), examples), SUMMARY_CHARS)),
        )
    console.print(evidence)

    shown = report["hypotheses"][:MAX_HYPOTHESES]
    if shown:
        shared = shared_evidence(shown)
        caption: Text | None = None
        if shared:
            caption = Text(
                "every hypothesis also cites: "
                + "; ".join(
                    f"[{e['call_id']}] " + shorten(readable(str(e["summary"]), examples), 90) for e in shared[:3]
                )
            )
        hypotheses = Table(title="Ranked hypotheses", caption=caption, caption_justify="left", show_lines=True)
        for column in ("#", "service", "cause", "confidence", "evidence (✓ supports, ✗ refutes)"):
            hypotheses.add_column(column, overflow="fold")
        for index, h in enumerate(shown, start=1):
            items = distinct_evidence(h["evidence"]) if index == 1 else own_evidence(h, shared)
            hypotheses.add_row(
                str(index),
                Text(h["service"]),
                Text(h["category"].replace("_", " ")),
                f"{h['confidence'] * 100:.0f}%",
                _evidence_cell(items, examples, sparklines or {}),
            )
        console.print(hypotheses)

    if report["proposals"]:
        proposals = Table(title="Proposed actions (need approval)")
        for column in ("tool", "args", "risk", "effect"):
            proposals.add_column(column, overflow="fold")
        for p in report["proposals"]:
            proposals.add_row(
                Text(p["tool"]),
                Text(", ".join(f"{k}={v}" for k, v in p["args"].items())),
                Text(p["risk"]),
                Text(p["effect"]),
            )
        console.print(proposals)
    console.print(Panel(mrkdwn_to_rich(report["summary"]), title="RCA"))
    tokens = report.get("tokens", {}).get("total", 0)
    weight = model_weight(report)
    console.print(
        Text(
            f"reasoner: {report['reasoner']}{f' ({weight})' if weight else ''} · {report['tool_calls']} "
            f"tool calls · {tokens} LLM tokens · "
            f"took {report['duration_s']:.2f} s",
            style="dim",
        )
    )
