"""Markdown and HTML reports of an eval run, with a diff against a baseline (regressions first)."""

from __future__ import annotations

import html
from typing import Any

__all__ = ["markdown_report", "html_report", "diff_baseline"]

_HEADLINE = ["top1_accuracy", "top3_accuracy", "category_accuracy", "action_precision", "unsafe_actions",
             "retrieval_hit_rate", "duration_s"]


def diff_baseline(summary: dict[str, Any], baseline: dict[str, Any] | None) -> dict[str, Any]:
    if not baseline:
        return {"regressions": [], "fixes": [], "metrics": {}}
    before = {s["id"]: s for s in baseline.get("per_scenario", [])}
    regressions, fixes = [], []
    for s in summary["per_scenario"]:
        old = before.get(s["id"])
        if old is None:
            continue
        if old["passed"] and not s["passed"]:
            regressions.append(s["id"])
        elif s["passed"] and not old["passed"]:
            fixes.append(s["id"])
    metrics = {k: (baseline.get(k), summary.get(k)) for k in _HEADLINE if k in baseline}
    return {"regressions": regressions, "fixes": fixes, "metrics": metrics}


def markdown_report(summary: dict[str, Any], baseline: dict[str, Any] | None = None) -> str:
    diff = diff_baseline(summary, baseline)
    lines = ["# Andon eval report", "", "| metric | value |" + (" baseline |" if baseline else ""),
             "|---|---|" + ("---|" if baseline else "")]
    for key in ["scenarios", "passed", *_HEADLINE]:
        row = f"| {key} | {summary.get(key)} |"
        if baseline:
            row += f" {baseline.get(key)} |"
        lines.append(row)
    if "rcaeval" in summary:
        r = summary["rcaeval"]
        lines += ["", f"RCAEval cases: {r['cases']} — AC@1 {r['AC@1']}, AC@3 {r['AC@3']}, Avg@5 {r['Avg@5']}"]
    if baseline:
        lines += ["", "## Against the baseline", "",
                  f"Regressions ({len(diff['regressions'])}): {', '.join(diff['regressions']) or 'none'}",
                  f"Fixed ({len(diff['fixes'])}): {', '.join(diff['fixes']) or 'none'}"]
    lines += ["", "## Per category", "", "| category | scenarios | top-1 | category |", "|---|---|---|---|"]
    for category, entry in sorted(summary.get("per_category", {}).items()):
        lines.append(f"| {category} | {entry['scenarios']} | {entry['top1']} | {entry['category']} |")
    failures = [s for s in summary["per_scenario"] if not s["passed"]]
    failures.sort(key=lambda s: (s["id"] not in diff["regressions"], s["id"]))
    lines += ["", f"## Failures ({len(failures)})", ""]
    for s in failures:
        lines.append(f"### {s['id']}" + (" (regression)" if s["id"] in diff["regressions"] else ""))
        lines.append(f"expected {s['category_expected']} on {s['service_expected']}; predicted "
                     f"{s['category_predicted']} on {s['service_predicted']} (ranked: {', '.join(s['services_ranked'])})")
        if s.get("error"):
            lines.append(f"error: `{s['error']}`")
        lines += [f"- {e}" for e in s.get("evidence", [])] + [""]
    return "\n".join(lines) + "\n"


def html_report(summary: dict[str, Any], baseline: dict[str, Any] | None = None) -> str:
    """The Markdown report, rendered as simple self-contained HTML (tables and headings)."""
    out = ["<!doctype html><html><head><meta charset='utf-8'><title>Andon eval report</title><style>"
           "body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
           "td,th{border:1px solid #ccc;padding:4px 8px}.bad{color:#b00}</style></head><body>"]
    in_table = False
    for line in markdown_report(summary, baseline).splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= {"-"}:
                continue
            if not in_table:
                out.append("<table>")
                in_table = True
            out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            out.append("</table>")
            in_table = False
        if line.startswith("### "):
            out.append(f"<h3 class='bad'>{html.escape(line[4:])}</h3>")
        elif line.startswith("## "):
            out.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif line.startswith("# "):
            out.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("- "):
            out.append(f"<div>• {html.escape(line[2:])}</div>")
        elif line:
            out.append(f"<p>{html.escape(line)}</p>")
    if in_table:
        out.append("</table>")
    return "\n".join(out + ["</body></html>"])
