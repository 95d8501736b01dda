"""Markdown and HTML reports of an eval run, with a diff against a baseline (regressions first) and the
close calls; the HTML report also draws the accuracy per category and, for each failure and close call
whose charts the run kept (``andon eval --report out.html``), the series Andon weighed."""

from __future__ import annotations

import html
from typing import Any

from evals.scoring import CLOSE_CALL_MARGIN

__all__ = ["markdown_report", "html_report", "diff_baseline"]

_HEADLINE = [
    "top1_accuracy",
    "top3_accuracy",
    "category_accuracy",
    "action_precision",
    "unsafe_actions",
    "retrieval_hit_rate",
    "duration_s",
]


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
    lines = [
        "# Andon eval report",
        "",
        "| metric | value |" + (" baseline |" if baseline else ""),
        "|---|---|" + ("---|" if baseline else ""),
    ]
    for key in ["scenarios", "passed", *_HEADLINE]:
        row = f"| {key} | {summary.get(key)} |"
        if baseline:
            row += f" {baseline.get(key)} |"
        lines.append(row)
    if "rcaeval" in summary:
        r = summary["rcaeval"]
        lines += ["", f"RCAEval cases: {r['cases']} — AC@1 {r['AC@1']}, AC@3 {r['AC@3']}, Avg@5 {r['Avg@5']}"]
    if baseline:
        lines += [
            "",
            "## Against the baseline",
            "",
            f"Regressions ({len(diff['regressions'])}): {', '.join(diff['regressions']) or 'none'}",
            f"Fixed ({len(diff['fixes'])}): {', '.join(diff['fixes']) or 'none'}",
        ]
    lines += ["", "## Per category", "", "| category | scenarios | top-1 | category |", "|---|---|---|---|"]
    for category, entry in sorted(summary.get("per_category", {}).items()):
        lines.append(f"| {category} | {entry['scenarios']} | {entry['top1']} | {entry['category']} |")
    failures = [s for s in summary["per_scenario"] if not s["passed"]]
    failures.sort(key=lambda s: (s["id"] not in diff["regressions"], s["id"]))
    lines += ["", f"## Failures ({len(failures)})", ""]
    for s in failures:
        lines.append(f"### {s['id']}" + (" (regression)" if s["id"] in diff["regressions"] else ""))
        lines.append(
            f"expected {s['category_expected']} on {s['service_expected']}; predicted "
            f"{s['category_predicted']} on {s['service_predicted']} (ranked: {', '.join(s['services_ranked'])})"
        )
        if s.get("error"):
            lines.append(f"error: `{s['error']}`")
        lines += [f"- {e}" for e in s.get("evidence", [])] + [""]
    close = [s for s in summary["per_scenario"] if s.get("close_call")]
    if close:
        lines += [
            f"## Close calls ({len(close)})",
            "",
            f"Passed, with the runner-up hypothesis within {CLOSE_CALL_MARGIN:.0%} confidence of the winner.",
            "",
        ]
        for s in close:
            lines += [
                f"### {s['id']} (close call)",
                f"chose {s['category_predicted']} on {s['service_predicted']} "
                f"({float(s.get('confidence') or 0):.0%}); runner-up {s.get('runner_up')}",
                "",
            ]
    return "\n".join(lines) + "\n"


def _scenario_charts(summary: dict[str, Any], heading: str) -> str:
    """The charts kept for the scenario a ``### id …`` heading names, as HTML (empty when none were kept)."""
    from evals.report_charts import charts_html

    scenario_id = heading.split(" ", 1)[0]
    item = next((s for s in summary["per_scenario"] if s["id"] == scenario_id), None)
    if not item or not item.get("charts"):
        return ""
    drawn = {c.get("about") or c["service"] for c in item["charts"]}
    missing = [item["service_expected"]] if not item["passed"] and item["service_expected"] not in drawn else []
    return charts_html(item["charts"], scenario_id, missing)


def html_report(summary: dict[str, Any], baseline: dict[str, Any] | None = None) -> str:
    """The Markdown report as self-contained HTML (tables, headings, and the charts as inline PNGs)."""
    from evals.report_charts import accuracy_html

    out = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Andon eval report</title><style>"
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px}.bad{color:#b00}.close{color:#a56400}"
        ".charts{display:flex;flex-wrap:wrap;gap:8px;margin:6px 0 14px}img.chart{width:540px;max-width:100%;"
        "border:1px solid #eee}img.accuracy{max-width:100%;border:1px solid #eee}.note{color:#666}"
        "</style></head><body>"
    ]
    in_table = False
    pending = ""
    for line in markdown_report(summary, baseline).splitlines():
        if line.startswith("#") and pending:  # a scenario's charts close its section
            out.append(pending)
            pending = ""
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
            kind = "close" if line.endswith("(close call)") else "bad"
            out.append(f"<h3 class='{kind}'>{html.escape(line[4:])}</h3>")
            pending = _scenario_charts(summary, line[4:])
        elif line.startswith("## "):
            out.append(f"<h2>{html.escape(line[3:])}</h2>")
            if line == "## Per category":
                out.append(accuracy_html(summary.get("per_category") or {}))
        elif line.startswith("# "):
            out.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("- "):
            out.append(f"<div>• {html.escape(line[2:])}</div>")
        elif line:
            out.append(f"<p>{html.escape(line)}</p>")
    if in_table:
        out.append("</table>")
    out.append(pending)
    return "\n".join(out + ["</body></html>"])
