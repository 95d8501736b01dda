"""Rich rendering of an investigation report for the terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

__all__ = ["render_report"]


def render_report(console: Console, report: dict[str, Any]) -> None:
    incident = report["incident"]
    console.print(Panel(f"[bold]{incident['title']}[/]\nservices: {', '.join(incident['services']) or '—'} · "
                        f"severity: {incident['severity']} · source: {incident['source']}", title="Incident"))
    evidence = Table(title="Evidence (tool calls)", show_lines=False)
    for column in ("id", "tool", "status", "summary"):
        evidence.add_column(column, overflow="fold")
    for call in report["evidence"]:
        evidence.add_row(call["id"], call["tool"], call["status"], call["summary"][:220])
    console.print(evidence)
    hypotheses = Table(title="Ranked hypotheses")
    for column in ("#", "service", "category", "confidence", "evidence"):
        hypotheses.add_column(column, overflow="fold")
    for index, h in enumerate(report["hypotheses"][:5], start=1):
        cites = "; ".join(f"[{e['call_id']}] {e['summary']}" for e in h["evidence"][:3] if e.get("supports", True))
        hypotheses.add_row(str(index), h["service"], h["category"], f"{h['confidence']:.2f}", cites)
    console.print(hypotheses)
    if report["proposals"]:
        proposals = Table(title="Proposed actions (need approval)")
        for column in ("tool", "args", "risk", "effect"):
            proposals.add_column(column, overflow="fold")
        for p in report["proposals"]:
            proposals.add_row(p["tool"], ", ".join(f"{k}={v}" for k, v in p["args"].items()), p["risk"], p["effect"])
        console.print(proposals)
    console.print(Panel(report["summary"], title="RCA"))
    tokens = report.get("tokens", {}).get("total", 0)
    console.print(f"[dim]reasoner={report['reasoner']} · tool calls={report['tool_calls']} · tokens={tokens} · "
                  f"{report['duration_s']:.2f}s[/]")
