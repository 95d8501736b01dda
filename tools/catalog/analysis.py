"""Read-only analysis tools: the evidence the rules reasoner ranks hypotheses with."""

from __future__ import annotations

from pydantic import Field

from tools.analysis.anomaly import ANOMALY_THRESHOLD, rank_services
from tools.analysis.changes import correlate_changes
from tools.analysis.logs import log_template_spikes
from tools.base import Risk, Tool, ToolArgs, ToolContext, ToolResult
from tools.catalog.summaries import pick_step
from tools.sources.timespec import parse_duration, parse_instant

__all__ = ["analysis_tools"]


class WindowArgs(ToolArgs):
    onset: str | None = Field(None, description="suspected onset (ISO time or offset like -10m); defaults to the incident start")
    lookback: str = Field("60m", description="history to compare against")


class ChangeArgs(WindowArgs):
    services: list[str] = Field(default_factory=list, description="services already suspected (boosts their changes)")


def _onset(ctx: ToolContext, args: WindowArgs) -> float:
    if args.onset:
        return parse_instant(args.onset, ctx.now)
    return ctx.onset if ctx.onset is not None else ctx.now - 600


def rank_anomalies(ctx: ToolContext, args: WindowArgs) -> ToolResult:
    if ctx.sources.metrics is None:
        return ToolResult.error("no metrics source is configured")
    onset = _onset(ctx, args)
    start = min(onset, ctx.now) - parse_duration(args.lookback)
    series = ctx.sources.metrics.candidate_series(start, ctx.now, pick_step(start, ctx.now, 240))
    if not series:
        return ToolResult.no_data("no metric series in the window")
    ranked = rank_services(series, onset, ctx.sources.topology)
    anomalous = [s for s in ranked if s.raw_score >= ANOMALY_THRESHOLD]
    if not anomalous:
        return ToolResult.ok(f"no service anomalous among {len(ranked)} (max z={ranked[0].raw_score:.1f})",
                             [s.to_dict() for s in ranked[:10]])
    parts = []
    for s in anomalous[:5]:
        note = f" (explained by {', '.join(s.propagated_from)})" if s.propagated_from else ""
        parts.append(f"{s.service} {s.score:.1f}: {s.series[0].describe()}{note}")
    return ToolResult.ok(f"{len(anomalous)} anomalous services: " + "; ".join(parts), [s.to_dict() for s in ranked[:20]])


def correlate_changes_tool(ctx: ToolContext, args: ChangeArgs) -> ToolResult:
    if ctx.sources.changes is None:
        return ToolResult.error("no change feed is configured")
    onset = _onset(ctx, args)
    changes = ctx.sources.changes.changes(onset - parse_duration(args.lookback), ctx.now)
    correlated = correlate_changes(changes, onset, {s: 10.0 for s in args.services})
    if not correlated:
        return ToolResult.no_data("no changes near the onset")
    return ToolResult.ok("; ".join(c.describe() for c in correlated[:5]), [c.to_dict() for c in correlated[:20]])


def log_spikes(ctx: ToolContext, args: WindowArgs) -> ToolResult:
    if ctx.sources.logs is None:
        return ToolResult.error("no log source is configured")
    onset = _onset(ctx, args)
    start = onset - parse_duration(args.lookback)
    spikes = log_template_spikes(ctx.sources.logs.lines(start, ctx.now), onset, start, ctx.now, top=30)
    if not spikes:
        return ToolResult.no_data("no new or spiking log templates")
    return ToolResult.ok("; ".join(s.describe() for s in spikes[:4]), [s.to_dict() for s in spikes])


def analysis_tools() -> list[Tool]:
    return [
        Tool("rank_anomalies", "Rank services by how anomalous their metrics became at the onset (robust, "
             "dependency-aware); the first service is the most likely root cause.", WindowArgs, Risk.READ,
             rank_anomalies, group="analysis", timeout_s=30, max_data_chars=80_000),  # type: ignore[arg-type]
        Tool("correlate_changes", "Deploys and config/flag changes shortly before the onset, scored by closeness.",
             ChangeArgs, Risk.READ, correlate_changes_tool, group="analysis"),  # type: ignore[arg-type]
        Tool("log_template_spikes", "Log templates (drain3) that are new or spiking since the onset, with examples.",
             WindowArgs, Risk.READ, log_spikes, group="analysis", timeout_s=30, max_data_chars=30_000),  # type: ignore[arg-type]
    ]
