"""The README's Performance table: the JSON report as Markdown, written between the bench markers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["markdown", "update_readme", "START", "END"]

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"
_MARK = {"met": "✅ met", "missed": "❌ missed", "skipped": "⏭ skipped", "reported": "—", "error": "⚠ error"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: dict[str, Any], command: str) -> str:
    hw = report["hardware"]
    lines = [
        f"Measured {report['date'][:10]} with `{command}` ({report['seconds'] / 60:.0f} min) on {hw['cores']} cores "
        f"({hw['cpu']}), {hw['memory_gb']} GB, Python {hw['python']}. Medians of the runs shown; full numbers in "
        "`bench/results/latest.json`.",
        "",
        "| benchmark | result | target | verdict | runs |",
        "|---|---|---|---|---|",
    ]
    for rerun in report.get("reruns") or []:
        lines.insert(
            1,
            f"{rerun['benchmark']} was re-run alone with `{rerun['command']}` on {rerun['date'][:10]}: "
            f"{rerun['reason']}",
        )
    for item in report["benchmarks"]:
        detail = item["headline"] or item.get("skipped") or item.get("error") or ""
        lines.append(
            f"| {_cell(item['title'])} | {_cell(detail)} | {_cell(item['target'])} | "
            f"{_MARK[item['verdict']]} | {item['runs']} |"
        )
    notes = [f"- **{item['title']}**: {_cell(note)}" for item in report["benchmarks"] for note in item["notes"][:3]]
    return "\n".join(lines + ([""] + notes if notes else []))


def update_readme(path: Path, text: str) -> None:
    """Replace what lies between the markers, and nothing else."""
    content = path.read_text()
    if START not in content or END not in content:
        raise ValueError(f"{path}: no {START} … {END} markers")
    head, rest = content.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{text}\n{END}{tail}")
