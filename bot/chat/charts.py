"""The evidence charts of an RCA, shared in the incident thread after its card: the strongest series of the
root-cause service and of the alerting service (1–3 PNGs, :func:`bot.charts.evidence.evidence_charts`) in one
message, through the workspace's ``upload_images`` (in Slack, its external upload:
:meth:`bot.slack.workspace.SlackWorkspace.upload_images`).

Best effort and after the card: a series that cannot be read is left out, and a chart that cannot be drawn
or uploaded is logged and counted, never retried in the way of anything else."""

from __future__ import annotations

import logging
import time
from typing import Any

from bot.charts.evidence import evidence_charts
from bot.chat.blocks.kit import untrusted
from bot.chat.deps import ChatDeps
from bot.chat.workspace import ImageFile

__all__ = ["post_evidence_charts", "charts_comment"]

log = logging.getLogger(__name__)


def charts_comment(report: dict[str, Any], titles: list[str]) -> str:
    """The message the charts come with: what they show and how to read them."""
    best = (report.get("hypotheses") or [{}])[0]
    cause = untrusted(str(best.get("category", "")).replace("_", " "))
    return (
        f":chart_with_upwards_trend: *The evidence for {cause} on {untrusted(best.get('service', '?'))}*: "
        f"{untrusted('; '.join(titles))}.\n_Shaded: the normal range before the onset (median ± robust spread); "
        "red dashed: the onset; dotted: changes._"
    )


def post_evidence_charts(deps: ChatDeps, incident_id: str, report: dict[str, Any], channel: str, thread_ts: str) -> int:
    """Draw the report's evidence charts and share them in the thread; how many were shared (0 when there
    were none to draw, or on any failure, which is logged)."""
    started = time.monotonic()
    try:
        charts = evidence_charts(report, deps.sources.metrics, deps.clock())
        if not charts:
            deps.metrics.charts.labels(outcome="none").inc()
            return 0
        from bot.charts.render import render_png  # matplotlib: loaded with the first chart, not at start-up

        images = [
            ImageFile(chart.filename(index), f"{chart.title} ({chart.role})", chart.alt_text(), render_png(chart))
            for index, chart in enumerate(charts, start=1)
        ]
        drawn = time.monotonic()
        deps.workspace.upload_images(
            channel, thread_ts, images, charts_comment(report, [f"{c.title} ({c.role})" for c in charts])
        )
    except Exception as exc:
        log.warning(
            "evidence charts of %s were not shared (the RCA card stands): %s: %s",
            incident_id,
            type(exc).__name__,
            str(exc)[:300],
        )
        log.debug("evidence charts of %s", incident_id, exc_info=True)
        deps.metrics.charts.labels(outcome="failed").inc()
        return 0
    deps.metrics.charts.labels(outcome="posted").inc()
    log.info(
        "shared %d evidence chart(s) of %s: drawn in %.2f s, uploaded in %.2f s",
        len(images),
        incident_id,
        drawn - started,
        time.monotonic() - drawn,
    )
    return len(images)
