"""Read-only analysis tools: the evidence the RCA engine (``tools.rca``) ranks hypotheses with."""

from __future__ import annotations

from dataclasses import replace

from pydantic import Field

from tools.base import Risk, Tool, ToolArgs, ToolContext, ToolResult
from tools.catalog.summaries import pick_step
from tools.rca.changes import to_links
from tools.rca.history import series_history
from tools.rca.logs import log_template_spikes
from tools.rca.services import rank_services, shown_series
from tools.sources.timespec import parse_duration, parse_instant

__all__ = ["analysis_tools"]


class WindowArgs(ToolArgs):
    onset: str | None = Field(
        None, description="suspected onset (ISO time or offset like -10m); defaults to the incident start"
    )
    lookback: str = Field("60m", description="history to compare against")


class RankArgs(WindowArgs):
    onset_unknown: bool = Field(
        False,
        description="no time was given (a person's vague report): the change point "
        "may lie anywhere in the lookback, not only near the onset",
    )


class ChangeArgs(ToolArgs):
    onset: str | None = Field(
        None, description="suspected onset (ISO time or offset like -10m); defaults to the incident start"
    )
    lookback: str = Field(
        "7d", description="how far back changes may still be the cause (a leak from last week's release)"
    )
    services: list[str] = Field(default_factory=list, description="services already suspected (boosts their changes)")


class HistoryArgs(WindowArgs):
    series: list[str] = Field(description='series selectors to look back on, e.g. memory_usage_bytes{service="api"}')


def _onset(ctx: ToolContext, onset: str | None) -> float:
    if onset:
        return parse_instant(onset, ctx.now)
    return ctx.onset if ctx.onset is not None else ctx.now - 600


def rank_anomalies(ctx: ToolContext, args: RankArgs) -> ToolResult:
    if ctx.sources.metrics is None:
        return ToolResult.error("no metrics source is configured")
    onset = _onset(ctx, args.onset)
    lookback = parse_duration(args.lookback)
    start = min(onset, ctx.now) - lookback
    series = ctx.sources.metrics.candidate_series(start, ctx.now, pick_step(start, ctx.now, 240))
    if not series:
        return ToolResult.no_data("no metric series in the window")
    params = replace(ctx.params, lookback_s=max(ctx.params.lookback_s, lookback)) if args.onset_unknown else ctx.params
    ranked = rank_services(series, onset, ctx.sources.call_graph(), params, onset_known=not args.onset_unknown)
    data = [s.to_dict(shown_series(s.series, ctx.params)) for s in ranked[:20]]
    if not ranked:
        return ToolResult.no_data(f"{len(series)} series, none with enough finite points to read")
    threshold = ctx.params.anomaly_threshold
    anomalous = [s for s in ranked if s.raw_score >= threshold]
    rough = (
        " (some series too short for a change point: insufficient data, a rough reading)"
        if any(s.insufficient for s in ranked)
        else ""
    )
    if not anomalous:
        return ToolResult.ok(f"no service anomalous among {len(ranked)} (max z={ranked[0].raw_score:.1f}){rough}", data)
    parts = []
    for s in anomalous[:5]:
        note = f" (explained by {', '.join(s.propagated_from)})" if s.propagated_from else ""
        parts.append(f"{s.service} {s.score:.1f}: {s.series[0].describe()}{note}")
    return ToolResult.ok(f"{len(anomalous)} anomalous services: " + "; ".join(parts) + rough, data)


def correlate_changes_tool(ctx: ToolContext, args: ChangeArgs) -> ToolResult:
    if ctx.sources.changes is None:
        return ToolResult.error("no change feed is configured")
    onset = _onset(ctx, args.onset)
    changes = ctx.sources.changes.changes(onset - parse_duration(args.lookback), ctx.now)
    links = to_links(changes, onset, set(args.services), ctx.params)
    if not links:
        return ToolResult.no_data("no changes before the onset")
    return ToolResult.ok("; ".join(c.describe() for c in links[:5]), [c.to_dict() for c in links[:40]])


def log_spikes(ctx: ToolContext, args: WindowArgs) -> ToolResult:
    if ctx.sources.logs is None:
        return ToolResult.error("no log source is configured")
    onset = _onset(ctx, args.onset)
    start = onset - parse_duration(args.lookback)
    spikes = log_template_spikes(
        ctx.sources.logs.lines(start, ctx.now), onset, start, ctx.now, top=30, params=ctx.params
    )
    if not spikes:
        return ToolResult.no_data("no new or spiking log templates")
    return ToolResult.ok("; ".join(s.describe() for s in spikes[:4]), [s.to_dict() for s in spikes])


def history_tool(ctx: ToolContext, args: HistoryArgs) -> ToolResult:
    if ctx.sources.metrics is None:
        return ToolResult.error("no metrics source is configured")
    onset = _onset(ctx, args.onset)
    start = min(onset, ctx.now) - parse_duration(args.lookback)
    trends = series_history(
        ctx.sources.metrics, args.series, onset, start, ctx.now, pick_step(start, ctx.now, 240), ctx.params
    )
    if not trends:
        return ToolResult.no_data("no history for these series")
    said = [
        f"{t.metric} of {t.service}: "
        + (
            f"repeats {'/'.join(t.repeats)} earlier"
            if t.repeats
            else f"new against {'/'.join(t.compared)}"
            if t.compared
            else "no earlier window"
        )
        for t in trends[:4]
    ]
    return ToolResult.ok("; ".join(said), [t.to_dict() for t in trends])


def analysis_tools() -> list[Tool]:
    return [
        Tool(
            "rank_anomalies",
            "Rank services by how anomalous their metrics became at the onset (robust, "
            "dependency-aware); the first service is the most likely root cause.",
            RankArgs,
            Risk.READ,
            rank_anomalies,
            group="analysis",
            timeout_s=30,
            max_data_chars=80_000,
        ),  # type: ignore[arg-type]
        Tool(
            "correlate_changes",
            "Deploys, config/flag, credential and schema changes up to a week before the onset, nearest first.",
            ChangeArgs,
            Risk.READ,
            correlate_changes_tool,
            group="analysis",
        ),  # type: ignore[arg-type]
        Tool(
            "log_template_spikes",
            "Log templates (drain3) that are new or spiking since the onset, with examples.",
            WindowArgs,
            Risk.READ,
            log_spikes,
            group="analysis",
            timeout_s=30,
            max_data_chars=30_000,
        ),  # type: ignore[arg-type]
        Tool(
            "series_history",
            "For suspect series: when their trend began over the last day, and whether the same "
            "shift came at the same time yesterday or last week (a recurring shape is not a fault).",
            HistoryArgs,
            Risk.READ,
            history_tool,
            group="analysis",
            timeout_s=30,
        ),  # type: ignore[arg-type]
    ]
