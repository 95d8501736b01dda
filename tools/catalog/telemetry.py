"""Read-only telemetry tools: Prometheus, Alertmanager, logs, Kubernetes and the change feed."""

from __future__ import annotations

from dataclasses import asdict

from pydantic import Field

from tools.base import Risk, Tool, ToolArgs, ToolContext, ToolResult
from tools.catalog.summaries import pick_step, summarise_series
from tools.sources.timespec import parse_duration

__all__ = ["telemetry_tools"]


class QueryArgs(ToolArgs):
    query: str = Field(description="PromQL expression, e.g. 'error_ratio{service=\"checkout\"}'")


class RangeArgs(ToolArgs):
    query: str = Field(description="PromQL expression")
    lookback: str = Field("1h", description="how far back from now, e.g. 30m, 2h")


class SeriesArgs(ToolArgs):
    service: str | None = Field(None, description="only series of this service")


class ServiceArgs(ToolArgs):
    service: str | None = Field(None, description="service name; omit for all services")


class LogArgs(ToolArgs):
    service: str | None = Field(None, description="service whose logs to read")
    contains: str | None = Field(None, description="only lines containing this text")
    lookback: str = Field("30m", description="how far back from now")
    limit: int = Field(50, ge=1, le=500)


class RolloutArgs(ToolArgs):
    service: str = Field(description="deployment / service name")


class ChangesArgs(ToolArgs):
    service: str | None = None
    lookback: str = Field("2h", description="how far back from now")


class NoArgs(ToolArgs):
    pass


def _missing(what: str) -> ToolResult:
    return ToolResult.error(f"no {what} source is configured")


def prometheus_query(ctx: ToolContext, args: QueryArgs) -> ToolResult:
    if ctx.sources.metrics is None:
        return _missing("metrics")
    result = ctx.sources.metrics.query(args.query, ctx.now)
    if not result:
        return ToolResult.no_data(f"no series for {args.query}")
    rows = [{"series": s.key(), "value": round(float(s.values[-1]), 6)} for s in result[:50]]
    return ToolResult.ok(f"{len(result)} series; " + "; ".join(f"{r['series']}={r['value']}" for r in rows[:5]), rows)


def prometheus_query_range(ctx: ToolContext, args: RangeArgs) -> ToolResult:
    if ctx.sources.metrics is None:
        return _missing("metrics")
    start = ctx.now - parse_duration(args.lookback)
    result = ctx.sources.metrics.query_range(args.query, start, ctx.now, pick_step(start, ctx.now))
    if not result:
        return ToolResult.no_data(f"no series for {args.query}")
    rows = [summarise_series(s) for s in result[:30]]
    text = "; ".join(f"{r['series']} {r.get('trend')} last={r.get('last')} max={r.get('max')}" for r in rows[:5])
    return ToolResult.ok(f"{len(result)} series: {text}", rows)


def prometheus_series(ctx: ToolContext, args: SeriesArgs) -> ToolResult:
    if ctx.sources.metrics is None:
        return _missing("metrics")
    series = ctx.sources.metrics.candidate_series(ctx.now - 600, ctx.now, 60)
    names = sorted({(s.service, s.name) for s in series if args.service in (None, s.service)})
    if not names:
        return ToolResult.no_data("no series found")
    by_service: dict[str, list[str]] = {}
    for service, name in names:
        by_service.setdefault(service, []).append(name)
    return ToolResult.ok(f"{len(names)} metrics across {len(by_service)} services", by_service)


def firing_alerts(ctx: ToolContext, args: NoArgs) -> ToolResult:
    if ctx.sources.alerts is None:
        return _missing("alerts")
    alerts = ctx.sources.alerts.alerts()
    if not alerts:
        return ToolResult.no_data("no alerts firing")
    names = [f"{a.get('labels', {}).get('alertname', '?')}({a.get('labels', {}).get('service', '')})" for a in alerts]
    return ToolResult.ok(f"{len(alerts)} alerts firing: " + ", ".join(names[:10]), alerts[:50])


def alert_silences(ctx: ToolContext, args: NoArgs) -> ToolResult:
    if ctx.sources.alerts is None:
        return _missing("alerts")
    silences = ctx.sources.alerts.silences()
    if not silences:
        return ToolResult.no_data("no silences")
    return ToolResult.ok(f"{len(silences)} silences", silences[:50])


def logs_query(ctx: ToolContext, args: LogArgs) -> ToolResult:
    if ctx.sources.logs is None:
        return _missing("logs")
    lines = ctx.sources.logs.lines(ctx.now - parse_duration(args.lookback), ctx.now, args.service, args.contains)
    if not lines:
        return ToolResult.no_data("no matching log lines")
    shown = lines[-args.limit :]
    return ToolResult.ok(
        f"{len(lines)} lines; last: {shown[-1].text[:160]}",
        [{"ts": line.ts, "service": line.service, "level": line.level, "text": line.text} for line in shown],
    )


def k8s_pods(ctx: ToolContext, args: ServiceArgs) -> ToolResult:
    if ctx.sources.kubernetes is None:
        return _missing("Kubernetes")
    pods = ctx.sources.kubernetes.pods(args.service)
    if not pods:
        return ToolResult.no_data("no pods found")
    unhealthy = [p for p in pods if p.reasons or not p.ready or p.restarts > 0]
    text = "; ".join(f"{p.name} restarts={p.restarts} {','.join(p.reasons) or p.phase}" for p in unhealthy[:8])
    return ToolResult.ok(
        f"{len(pods)} pods, {len(unhealthy)} unhealthy" + (f": {text}" if text else ""), [asdict(p) for p in pods[:100]]
    )


def k8s_events(ctx: ToolContext, args: ServiceArgs) -> ToolResult:
    if ctx.sources.kubernetes is None:
        return _missing("Kubernetes")
    events = ctx.sources.kubernetes.events(ctx.now - 3600, args.service)
    if not events:
        return ToolResult.no_data("no events in the last hour")
    warnings = [e for e in events if e.type != "Normal"]
    text = "; ".join(f"{e.reason} {e.object}: {e.message[:80]}" for e in warnings[:6])
    return ToolResult.ok(
        f"{len(events)} events, {len(warnings)} warnings" + (f": {text}" if text else ""),
        [asdict(e) for e in events[-100:]],
    )


def k8s_nodes(ctx: ToolContext, args: NoArgs) -> ToolResult:
    if ctx.sources.kubernetes is None:
        return _missing("Kubernetes")
    nodes = ctx.sources.kubernetes.nodes()
    if not nodes:
        forbidden = getattr(ctx.sources.kubernetes, "nodes_unreadable", "")  # a namespaced Role: no nodes
        return ToolResult.no_data(f"nodes not readable: {forbidden}" if forbidden else "no nodes")
    bad = [n.get("name", "?") for n in nodes if not n.get("ready", True)]
    return ToolResult.ok(f"{len(nodes)} nodes, not ready: {', '.join(bad) or 'none'}", nodes)


def k8s_rollout_history(ctx: ToolContext, args: RolloutArgs) -> ToolResult:
    if ctx.sources.kubernetes is None:
        return _missing("Kubernetes")
    history = ctx.sources.kubernetes.rollout_history(args.service)
    if not history:
        return ToolResult.no_data(f"no rollout history for {args.service}")
    last = history[-1]
    return ToolResult.ok(f"{len(history)} revisions of {args.service}; latest {last.get('version', '?')}", history)


def recent_changes(ctx: ToolContext, args: ChangesArgs) -> ToolResult:
    if ctx.sources.changes is None:
        return _missing("change feed")
    changes = ctx.sources.changes.changes(ctx.now - parse_duration(args.lookback), ctx.now, args.service)
    if not changes:
        return ToolResult.no_data("no changes in the period")
    text = "; ".join(f"{c.kind} {c.service} {c.flag or c.version or c.description}"[:100] for c in changes[-8:])
    return ToolResult.ok(f"{len(changes)} changes: {text}", [asdict(c) for c in changes[-100:]])


def telemetry_tools() -> list[Tool]:
    def read(name: str, description: str, model: type[ToolArgs], handler: object) -> Tool:
        return Tool(
            name=name,
            description=description,
            args_model=model,
            risk=Risk.READ,
            handler=handler,  # type: ignore[arg-type]
            group="telemetry",
        )

    return [
        read(
            "prometheus_query",
            "Evaluate a PromQL expression now; returns the current value of each series.",
            QueryArgs,
            prometheus_query,
        ),
        read(
            "prometheus_query_range",
            "Evaluate PromQL over a lookback window; returns per-series min/max/last/trend, not raw points.",
            RangeArgs,
            prometheus_query_range,
        ),
        read(
            "prometheus_series",
            "List the metrics available per service (label discovery).",
            SeriesArgs,
            prometheus_series,
        ),
        read("firing_alerts", "Alerts currently firing (Alertmanager / Prometheus rule state).", NoArgs, firing_alerts),
        read("alert_silences", "Active Alertmanager silences.", NoArgs, alert_silences),
        read(
            "logs_query",
            "Recent log lines of a service (Loki or log files), optionally filtered by text.",
            LogArgs,
            logs_query,
        ),
        read(
            "k8s_pods",
            "Pods with their phase, readiness, restarts and reasons such as OOMKilled or CrashLoopBackOff.",
            ServiceArgs,
            k8s_pods,
        ),
        read("k8s_events", "Kubernetes events of the last hour (warnings first).", ServiceArgs, k8s_events),
        read("k8s_nodes", "Node readiness and conditions.", NoArgs, k8s_nodes),
        read(
            "k8s_rollout_history", "Deployment revisions and versions of a service.", RolloutArgs, k8s_rollout_history
        ),
        read(
            "recent_changes",
            "Recent deploys, config changes, feature-flag flips and migrations.",
            ChangesArgs,
            recent_changes,
        ),
    ]
