"""Which series to chart for a report, with their points read again from the metrics source.

The graph state keeps no points: the ``rank_anomalies`` result names each shifted series (its key, its
level before and after, its onset). When a chart or a sparkline is drawn, the few series it needs are read
again over the window the investigation looked at, at most :data:`~bot.charts.model.MAX_POINTS` points
each — a handful of small range queries, after the RCA card is out."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from bot.charts.model import Chart, Marker, downsample
from bot.charts.sparkline import spark_key, sparkline
from bot.report_view import shorten
from tools.catalog.summaries import pick_step
from tools.rca.evidence import Evidence, read_evidence
from tools.rca.records import ChangeLink, Shift
from tools.redaction import redact
from tools.sources import MetricsSource, Series
from tools.sources.timespec import parse_duration, parse_instant

__all__ = [
    "evidence_charts",
    "service_chart",
    "evidence_sparklines",
    "cited_series",
    "window",
    "MAX_CHARTS",
    "MAX_MARKERS",
]

log = logging.getLogger(__name__)

MAX_CHARTS = 3
MAX_MARKERS = 4
"""Changes drawn on one chart at most: those on the charted service or linked to the trouble, nearest the onset."""
DEFAULT_LOOKBACK = "60m"
"""The ``rank_anomalies`` look-back when its call named none (its own default)."""
SPARK_WIDTH = 16


def window(report: Mapping[str, Any], now: float) -> tuple[float, float]:
    """The window the anomaly ranking read: its look-back before the onset (the call's ``onset``, else the
    incident's start) up to ``now``."""
    call: Mapping[str, Any] = next(
        (
            c
            for c in report.get("evidence") or []
            if c.get("tool") == "rank_anomalies" and c.get("status") in ("ok", "no_data")
        ),
        {},
    )
    args = call.get("args") or {}
    onset = float((report.get("incident") or {}).get("started_at") or now - 600)
    if args.get("onset"):
        with contextlib.suppress(ValueError):
            onset = parse_instant(args["onset"], now)
    try:
        lookback = parse_duration(args.get("lookback") or DEFAULT_LOOKBACK)
    except ValueError:
        lookback = parse_duration(DEFAULT_LOOKBACK)
    return min(onset, now) - lookback, now


def cited_series(summary: str, evidence: Evidence) -> Shift | None:
    """The shifted series a piece of evidence describes: its service, metric and both levels (as the
    ranking wrote them, to four significant digits) appear in the text; the strongest such series."""
    best: Shift | None = None
    for service, record in evidence.services.items():
        if service not in summary:
            continue
        for shift in record.series:
            if (
                shift.metric in summary
                and f"{shift.before:.4g}" in summary
                and f"{shift.after:.4g}" in summary
                and (best is None or shift.score > best.score)
            ):
                best = shift
    return best


def _read(metrics: MetricsSource, shift: Shift, start: float, end: float) -> tuple[list[float], list[float]]:
    """The series' points over the window (empty when it cannot be read: a chart is never worth an error)."""
    step = pick_step(start, end, 240)
    selectors = [shift.key or f'{shift.metric}{{service="{shift.service}"}}']
    if shift.labels.get("signal"):  # a deployment's own recording rule, renamed to its signal when read
        selectors.append("andon:signal{" + ",".join(f'{k}="{v}"' for k, v in sorted(shift.labels.items())) + "}")
    for selector in selectors:
        try:
            found = metrics.query_range(selector, start, end, step)
        except Exception as exc:  # noqa: BLE001 — a backend's error leaves this series out, nothing else
            log.warning("cannot read %s for a chart: %s", selector, exc)
            return [], []
        chosen = _matching(found, shift)
        if chosen is not None and len(chosen.values):
            return downsample(chosen.times, chosen.values)
    return [], []


def _matching(found: list[Series], shift: Shift) -> Series | None:
    for series in found:
        if series.service in ("", shift.service) and all(
            series.labels.get(k) == v for k, v in shift.labels.items() if k not in ("profile", "signal")
        ):
            return series
    return found[0] if found else None


def _markers(changes: list[ChangeLink], services: set[str], start: float, end: float, onset: float) -> list[Marker]:
    """The changes inside the window worth a line: on the charted services, or tied to the trouble."""
    shown = [c for c in changes if start <= c.ts <= end and (c.service in services or c.link_strength > 0)]
    shown.sort(key=lambda c: abs(c.ts - onset))
    return [
        Marker(ts=c.ts, label=redact(shorten(f"{c.kind} {c.service} {c.what()}".strip(), 40)), family=c.family)
        for c in sorted(shown[:MAX_MARKERS], key=lambda c: c.ts)
    ]


def _chart(
    metrics: MetricsSource,
    evidence: Evidence,
    shift: Shift,
    role: str,
    start: float,
    end: float,
    fallback_onset: float,
    also: Iterable[str] = (),
    about: str = "",
) -> Chart | None:
    times, values = _read(metrics, shift, start, end)
    if len(times) < 2:
        return None
    record = evidence.services.get(shift.service)
    onset = shift.onset or (record.onset if record and record.onset else None) or fallback_onset
    labels = {k: redact(v) for k, v in shift.labels.items() if k not in ("profile", "signal")}
    return Chart(
        service=redact(shift.service),
        metric=redact(shift.metric),
        role=role,
        times=times,
        values=values,
        start=start,
        end=end,
        onset=float(onset),
        before=shift.before,
        after=shift.after,
        score=round(shift.score, 2),
        labels=labels,
        markers=_markers(evidence.changes, {shift.service, *also, about} - {""}, start, end, float(onset)),
        about=redact(about) if about and about != shift.service else "",
        key=shift.key,
    )


def _strongest(evidence: Evidence, service: str, cited: list[Shift], drawn: Iterable[str] = ()) -> Shift | None:
    """The service's strongest series among those of ``cited`` its record holds, else among all it holds (a
    dependency's record holds its callers' client-side series of it); none already ``drawn`` (by key)."""
    skip = set(drawn)
    held = [s for s in evidence.series(service) if s.key not in skip]
    keys = {s.key for s in held}
    return max([s for s in cited if s.key in keys] or held, key=lambda s: s.score, default=None)


def _cited(evidence: Evidence, hypothesis: Mapping[str, Any] | None) -> list[Shift]:
    """The series a hypothesis' supporting evidence describes, strongest first, each once."""
    found = [
        cited_series(str(e.get("summary", "")), evidence)
        for e in (hypothesis or {}).get("evidence") or []
        if e.get("supports", True)
    ]
    return sorted({s.key: s for s in found if s is not None}.values(), key=lambda s: -s.score)


def evidence_charts(
    report: Mapping[str, Any], metrics: MetricsSource | None, now: float, limit: int = MAX_CHARTS
) -> list[Chart]:
    """The top hypothesis' charts: the strongest evidence series of the root-cause service, then that of the
    alerting service (when it is another), then more series the hypothesis cites on the root cause (of
    other metrics) — at most ``limit``; none without a hypothesis or a metrics source."""
    hypotheses = report.get("hypotheses") or []
    if not hypotheses or metrics is None or limit <= 0:
        return []
    evidence = read_evidence(list(report.get("evidence") or []))
    best = hypotheses[0]
    root = str(best.get("service", ""))
    cited = _cited(evidence, best)
    start, end = window(report, now)
    incident = report.get("incident") or {}
    fallback = float(incident.get("started_at") or end)
    picks: list[tuple[str, Shift, str]] = []
    first = _strongest(evidence, root, cited)
    if first is not None:
        picks.append(("root cause", first, root))
    alerting = next((s for s in incident.get("services") or [] if s != root and s in evidence.services), None)
    if (
        alerting is not None
        and (shift := _strongest(evidence, alerting, cited, {s.key for _, s, _ in picks})) is not None
    ):
        picks.append(("alerting service", shift, alerting))
    for shift in cited:
        if shift.service == root and shift.metric not in {s.metric for _, s, _ in picks if s.service == root}:
            picks.append(("root cause", shift, root))
    charts = []
    for role, shift, about in picks:
        chart = _chart(metrics, evidence, shift, role, start, end, fallback, also=(root,), about=about)
        if chart is not None:
            charts.append(chart)
        if len(charts) >= limit:
            break
    return charts


def service_chart(
    report: Mapping[str, Any],
    service: str,
    role: str,
    metrics: MetricsSource | None,
    now: float,
    drawn: Iterable[str] = (),
) -> Chart | None:
    """The chart of ``service``'s strongest series (for the top hypothesis' service, of those it cites) but
    the ``drawn`` ones (series keys), or None when the ranking recorded no other shifted series for it."""
    if metrics is None or not service:
        return None
    evidence = read_evidence(list(report.get("evidence") or []))
    best = next(iter(report.get("hypotheses") or []), None)
    cited = _cited(evidence, best) if best and best.get("service") == service else []
    shift = _strongest(evidence, service, cited, drawn)
    if shift is None:
        return None
    start, end = window(report, now)
    return _chart(
        metrics,
        evidence,
        shift,
        role,
        start,
        end,
        float((report.get("incident") or {}).get("started_at") or end),
        about=service,
    )


def evidence_sparklines(
    report: Mapping[str, Any], metrics: MetricsSource | None, now: float, hypotheses: int = 5, width: int = SPARK_WIDTH
) -> dict[str, str]:
    """A sparkline for each piece of evidence (of the first ``hypotheses``) that describes a shifted series,
    keyed by :func:`spark_key`; each series is read once however many lines cite it."""
    if metrics is None:
        return {}
    evidence = read_evidence(list(report.get("evidence") or []))
    start, end = window(report, now)
    read: dict[str, str] = {}
    out: dict[str, str] = {}
    for hypothesis in (report.get("hypotheses") or [])[:hypotheses]:
        for item in hypothesis.get("evidence") or []:
            shift = cited_series(str(item.get("summary", "")), evidence)
            if shift is None:
                continue
            if shift.key not in read:
                read[shift.key] = sparkline(_read(metrics, shift, start, end)[1], width)
            if read[shift.key]:
                out[spark_key(item)] = read[shift.key]
    return out
