"""The eval report's charts: for a failed scenario, the expected root cause's strongest series next to what
Andon chose; for a close call, the choice next to the runner-up; and the accuracy per category.

A scenario's charts are made where it ran, while its replayed telemetry is at hand, and travel in its score
as plain data (only when the HTML report asks for them); the report draws them as base64 PNGs inside the
page, so the file stands alone: no CDN, no image beside it."""

from __future__ import annotations

import base64
import html
from typing import Any

from bot.charts.evidence import service_chart
from bot.charts.model import Chart
from evals.scoring import ScenarioScore
from tools.sources import MetricsSource

__all__ = ["scenario_charts", "charts_html", "accuracy_html"]


def scenario_charts(
    report: dict[str, Any], score: ScenarioScore, metrics: MetricsSource | None, now: float
) -> list[dict[str, Any]]:
    """The charts of a failure (the expected root cause's strongest series, then Andon's choice's when it is
    another service) or of a close call (Andon's choice, then the runner-up's service), as JSON."""
    chosen = score.service_predicted or ""
    if score.passed:
        second = (report.get("hypotheses") or [{}, {}])[1:2]
        pairs = [(chosen, "Andon's choice"), (str((second or [{}])[0].get("service") or ""), "runner-up")]
    elif chosen == score.service_expected:  # the right service, the wrong cause
        pairs = [(chosen, "expected root cause (also Andon's choice)")]
    else:
        pairs = [(score.service_expected, "expected root cause"), (chosen, "Andon's choice")]
    charts: list[Chart] = []
    for service, role in pairs:
        if service and service not in {c.subject for c in charts}:
            chart = service_chart(report, service, role, metrics, now, drawn=[c.key for c in charts])
            if chart is not None:
                charts.append(chart)
    return [c.to_dict() for c in charts]


def _image(png: bytes, alt: str, css: str = "chart") -> str:
    data = base64.b64encode(png).decode("ascii")
    return f"<img class='{css}' alt='{html.escape(alt, quote=True)}' src='data:image/png;base64,{data}'>"


def charts_html(charts: list[dict[str, Any]], scenario_id: str, missing: list[str] | None = None) -> str:
    """A row of a scenario's charts (and a note naming a service without a shifted series to draw)."""
    from bot.charts.render import render_png

    drawn = [Chart.from_dict(c) for c in charts]
    images = [_image(render_png(c), f"{scenario_id}: {c.alt_text()}") for c in drawn]
    note = (
        "<p class='note'>No shifted series recorded for " + html.escape(", ".join(missing)) + ".</p>" if missing else ""
    )
    return (
        (
            f"<div class='charts' data-scenario='{html.escape(scenario_id, quote=True)}'>"
            + "".join(images)
            + "</div>"
            + note
        )
        if images or note
        else ""
    )


def accuracy_html(per_category: dict[str, dict[str, Any]]) -> str:
    """The bar chart of top-1 and category accuracy per category."""
    from bot.charts.render import accuracy_png

    if not per_category:
        return ""
    return (
        "<div class='summary-chart'>"
        + _image(
            accuracy_png(per_category),
            "Accuracy per category: top-1 and category accuracy of each category's scenarios",
            css="accuracy",
        )
        + "</div>"
    )
