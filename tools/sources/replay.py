"""Replay sources: telemetry described in a scenario or fixture file, served through the same
interfaces as the live backends. Used by offline evals, example alerts and tests.

The telemetry spec (documented in ``evals/README.md``)::

    window: 60m          # history before the reference time
    tail: 3m             # data after it (the investigation runs a little later)
    step: 30s
    history: {window: 8d, step: 10m}   # optional: older, coarser points before ``window``
    metrics: [...]       # generator specs, see tools.sources.generators, or {csv: file}
    logs: [...]
    changes: [{at, service, kind, version, previous_version, description, flag}]
    kubernetes: {pods: [...], events: [...], nodes: [...]}
    alerts: [{labels, annotations, startsAt}]
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tools.sources.base import Change, KubeEvent, LogLine, PodStatus, Series, Sources
from tools.sources.generators import generate_logs, generate_series
from tools.sources.selectors import matches, parse_selectors
from tools.sources.timespec import parse_duration, parse_instant

__all__ = ["ReplayTelemetry", "ReplayActuator", "load_replay_sources", "read_metrics_csv"]


def _slice(series: Series, start: float, end: float) -> Series:
    mask = (series.times >= start) & (series.times <= end)
    return Series(labels=dict(series.labels), times=series.times[mask], values=series.values[mask])


def read_metrics_csv(path: Path) -> list[Series]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or "time" not in rows[0]:
        raise ValueError(f"{path}: a metrics CSV needs a 'time' column (unix seconds)")
    header = rows[0]
    data = np.array([[float(x) if x not in ("", "nan", "NaN") else np.nan for x in row] for row in rows[1:]])
    time_col = header.index("time")
    out = []
    for index, column in enumerate(header):
        if index == time_col or "_" not in column:
            continue
        service, metric = column.split("_", 1)
        values = data[:, index]
        keep = ~np.isnan(values)
        out.append(Series({"__name__": metric, "service": service}, data[keep, time_col], values[keep]))
    return out


def _grid(spec: dict[str, Any], reference: float, start: float, end: float, step: float) -> np.ndarray:
    """Sample times: ``step`` apart over the window, and ``history.step`` apart over the older history
    (days of context at a coarse step, without millions of points)."""
    if step <= 0:
        raise ValueError(f"telemetry step must be positive, got {spec.get('step')!r}")
    recent = np.arange(start, end + step / 2, step)
    history = spec.get("history")
    if not history:
        return recent
    if not isinstance(history, dict) or "window" not in history:
        raise ValueError(f"telemetry.history needs a window, e.g. {{window: 8d, step: 10m}}: {history!r}")
    span, coarse = parse_duration(history["window"]), parse_duration(history.get("step", "10m"))
    if coarse <= 0 or span <= 0:
        raise ValueError(f"telemetry.history window and step must be positive: {history!r}")
    if span / coarse > 50_000:
        raise ValueError(f"telemetry.history {history!r} makes over 50,000 points per series: use a coarser step")
    older = np.arange(reference - span, start - coarse / 2, coarse)
    return np.concatenate([older[older < start], recent])


@dataclass
class ReplayTelemetry:
    """Metrics, logs, changes, Kubernetes state and alerts built from one telemetry spec."""

    series: list[Series] = field(default_factory=list)
    log_lines: list[LogLine] = field(default_factory=list)
    change_list: list[Change] = field(default_factory=list)
    pod_list: list[PodStatus] = field(default_factory=list)
    event_list: list[KubeEvent] = field(default_factory=list)
    node_list: list[dict[str, Any]] = field(default_factory=list)
    alert_list: list[dict[str, Any]] = field(default_factory=list)
    silence_list: list[dict[str, Any]] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0

    @classmethod
    def from_spec(
        cls, spec: dict[str, Any], reference: float, base_dir: Path | None = None, seed_key: str = "andon"
    ) -> ReplayTelemetry:
        window = parse_duration(spec.get("window", "60m"))
        tail = parse_duration(spec.get("tail", "3m"))
        step = parse_duration(spec.get("step", "30s"))
        start, end = reference - window, reference + tail
        times = _grid(spec, reference, start, end, step)
        telemetry = cls(start=start, end=end)
        for item in spec.get("metrics") or []:
            if "csv" in item:
                path = (base_dir or Path.cwd()) / str(item["csv"])
                telemetry.series.extend(read_metrics_csv(path))
            else:
                telemetry.series.append(generate_series(item, times, reference, seed_key))
        for item in spec.get("logs") or []:
            telemetry.log_lines.extend(generate_logs(item, start, end, reference, seed_key))
        telemetry.log_lines.sort(key=lambda line: line.ts)
        for item in spec.get("changes") or []:
            telemetry.change_list.append(
                Change(
                    ts=parse_instant(item.get("at", 0), reference),
                    service=str(item["service"]),
                    kind=str(item.get("kind", "deploy")),
                    description=str(item.get("description", "")),
                    version=str(item.get("version", "")),
                    previous_version=str(item.get("previous_version", "")),
                    author=str(item.get("author", "")),
                    flag=str(item.get("flag", "")),
                )
            )
        kube = spec.get("kubernetes") or {}
        for pod in kube.get("pods") or []:
            reasons = pod.get("reasons") or ([pod["reason"]] if pod.get("reason") else [])
            telemetry.pod_list.append(
                PodStatus(
                    name=str(pod["name"]),
                    service=str(pod.get("service", "")),
                    phase=str(pod.get("phase", "Running")),
                    ready=bool(pod.get("ready", not reasons)),
                    restarts=int(pod.get("restarts", 0)),
                    reasons=[str(r) for r in reasons],
                    node=str(pod.get("node", "")),
                )
            )
        for event in kube.get("events") or []:
            telemetry.event_list.append(
                KubeEvent(
                    ts=parse_instant(event.get("at", 0), reference),
                    service=str(event.get("service", "")),
                    reason=str(event["reason"]),
                    message=str(event.get("message", "")),
                    object=str(event.get("object", "")),
                    type=str(event.get("type", "Warning")),
                )
            )
        telemetry.node_list = [dict(node) for node in kube.get("nodes") or []]
        for alert in spec.get("alerts") or []:
            entry = dict(alert)
            entry["startsAt"] = parse_instant(alert.get("startsAt", alert.get("at", 0)), reference)
            telemetry.alert_list.append(entry)
        return telemetry

    # MetricsSource
    def query_range(self, query: str, start: float, end: float, step: float) -> list[Series]:
        selectors = parse_selectors(query)
        if not selectors:
            raise ValueError(f"no metric selector found in query {query!r}")
        return [_slice(s, start, end) for s in self.series if any(matches(s, sel) for sel in selectors)]

    def query(self, query: str, at: float) -> list[Series]:
        out = []
        for series in self.query_range(query, at - 300, at, 0):
            if len(series.times):
                out.append(Series(series.labels, series.times[-1:], series.values[-1:]))
        return out

    def candidate_series(self, start: float, end: float, step: float) -> list[Series]:
        return [_slice(s, start, end) for s in self.series]

    # LogSource
    def lines(self, start: float, end: float, service: str | None = None, query: str | None = None) -> list[LogLine]:
        return [
            line
            for line in self.log_lines
            if start <= line.ts <= end
            and (service is None or line.service == service)
            and (query is None or query.lower() in line.text.lower())
        ]

    # ChangeSource
    def changes(self, start: float, end: float, service: str | None = None) -> list[Change]:
        return [c for c in self.change_list if start <= c.ts <= end and (service is None or c.service == service)]

    # KubeSource
    def pods(self, service: str | None = None) -> list[PodStatus]:
        return [p for p in self.pod_list if service is None or p.service == service]

    def events(self, since: float, service: str | None = None) -> list[KubeEvent]:
        return [e for e in self.event_list if e.ts >= since and (service is None or e.service == service)]

    def nodes(self) -> list[dict[str, Any]]:
        return self.node_list

    def rollout_history(self, service: str) -> list[dict[str, Any]]:
        return [
            {"revision": i + 1, "version": c.version, "previous_version": c.previous_version, "at": c.ts}
            for i, c in enumerate(c for c in self.change_list if c.service == service and c.kind == "deploy")
        ]

    # AlertSource
    def alerts(self) -> list[dict[str, Any]]:
        return self.alert_list

    def silences(self) -> list[dict[str, Any]]:
        return self.silence_list


@dataclass
class ReplayActuator:
    """Records actions instead of changing anything; a scenario's ``heals`` list says which fix works."""

    heals: list[str] = field(default_factory=list)
    executed: list[dict[str, Any]] = field(default_factory=list)
    healed: bool = False

    def execute(self, action: str, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        record = {"action": action, "service": service, "args": args, "dry_run": dry_run}
        self.executed.append(record)
        if not dry_run and (action in self.heals or f"{action}:{service}" in self.heals):
            self.healed = True
        return {"status": "dry_run" if dry_run else "done", **record}


def load_replay_sources(
    spec: dict[str, Any],
    reference: float,
    topology: dict[str, list[str]] | None = None,
    base_dir: Path | None = None,
    heals: list[str] | None = None,
    seed_key: str = "andon",
) -> Sources:
    """A :class:`Sources` bundle whose every member replays ``spec``."""
    telemetry = ReplayTelemetry.from_spec(spec, reference, base_dir, seed_key)
    services = sorted({s.service for s in telemetry.series} | set(topology or {}))
    return Sources(
        metrics=telemetry,
        logs=telemetry,
        changes=telemetry,
        kubernetes=telemetry,
        alerts=telemetry,
        actuator=ReplayActuator(heals=list(heals or [])),
        topology=dict(topology or {}),
        services=services,
        replayed=True,
    )
