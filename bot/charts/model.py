"""What one evidence chart shows, as plain data: a series' points over the investigation window, the
onset, the baseline band before it and the changes around it.

Built from a report and the metrics source (:mod:`bot.charts.evidence`), drawn as a PNG
(:mod:`bot.charts.render`) or as a sparkline (:mod:`bot.charts.sparkline`). JSON-able, so an eval worker
can hand its charts to the report writer; every text on it is redacted when it is made."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

__all__ = ["Chart", "Marker", "MAX_POINTS", "downsample", "format_value"]

MAX_POINTS = 300
"""Most points a chart keeps of its series (the lowest and highest of each bucket, so a spike survives)."""
ROBUST_SIGMA = 1.4826
"""The median absolute deviation times this estimates a normal distribution's standard deviation: the
half-width of the baseline band."""
MIN_BASELINE_POINTS = 5
"""Fewer points than this before the onset draw no baseline band: too few to call anything normal."""
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class Marker:
    """A change drawn as a labelled vertical line: a deploy, a flag flip, a config change."""

    ts: float
    label: str
    family: str = "deploy"
    """What sort of change (deploy, config, credential, schema, infra, job), as the change records say."""


@dataclass
class Chart:
    """One series to draw, with what the reader needs to judge it."""

    service: str
    metric: str
    role: str
    """Why it is drawn: ``root cause``, ``alerting service``, ``expected root cause``, ``Andon's choice``…"""
    times: list[float]
    values: list[float]
    start: float
    end: float
    """The window drawn: the one the investigation looked at."""
    onset: float | None = None
    before: float | None = None
    after: float | None = None
    score: float = 0.0
    """The series' robust z-score at its change point, as the ranking found it."""
    labels: dict[str, str] = field(default_factory=dict)
    """Labels beyond the name and service that tell this series apart (``pod``, ``upstream``…)."""
    markers: list[Marker] = field(default_factory=list)
    about: str = ""
    """The service the series stands for when it is another's: a dependency (an external API, a database)
    read through its callers' client-side metrics."""
    key: str = ""
    """The series' selector, as the anomaly ranking named it."""

    @property
    def subject(self) -> str:
        """The service this chart is evidence about."""
        return self.about or self.service

    @property
    def title(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return f"{self.service} · {self.metric}" + (f" [{where}]" if where else "")

    def caption(self) -> str:
        """The role, and how the series moved: ``root cause · 0.29% → 30.9% (z=61.6)``."""
        moved = ""
        if self.before is not None and self.after is not None:
            moved = f" · {format_value(self.metric, self.before)} → {format_value(self.metric, self.after)}"
            moved += f" (z={self.score:.1f})" if self.score else ""
        return self.role + (f" ({self.about})" if self.about and self.about != self.service else "") + moved

    def alt_text(self) -> str:
        """What a screen reader says instead of the picture."""
        changes = "; ".join(f"{m.label}" for m in self.markers[:3])
        return (
            f"Chart of {self.title}, {self.caption()}"
            + (f"; changes: {changes}" if changes else "")
            + ". Shaded: the normal range before the onset."
        )[:1000]

    def filename(self, index: int) -> str:
        name = _UNSAFE_NAME.sub("-", f"{index}-{self.service}-{self.metric}").strip("-")
        return f"{name[:80]}.png"

    def baseline(self) -> tuple[float, float] | None:
        """(median, robust spread) of the points before the onset, or None with too few of them."""
        if self.onset is None:
            return None
        before = np.array([v for t, v in zip(self.times, self.values, strict=False) if t < self.onset], dtype=float)
        if len(before) < MIN_BASELINE_POINTS:
            return None
        median = float(np.median(before))
        spread = ROBUST_SIGMA * float(np.median(np.abs(before - median)))
        if spread <= 0.0:  # a flat series: a hairline band, still visible
            span = max(self.values) - min(self.values) if self.values else 0.0
            spread = max(0.01 * span, 1e-3 * abs(median), 1e-12)
        return median, spread

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chart:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["markers"] = [Marker(**m) for m in data.get("markers") or []]
        return cls(**known)


def downsample(times: np.ndarray, values: np.ndarray, limit: int = MAX_POINTS) -> tuple[list[float], list[float]]:
    """The finite points of a series, at most ``limit`` of them: past that, the lowest and the highest
    point of each of ``limit // 2`` buckets, in time order (a spike or a dip is never averaged away)."""
    times, values = np.asarray(times, dtype=float), np.asarray(values, dtype=float)
    keep = np.isfinite(times) & np.isfinite(values)
    times, values = times[keep], values[keep]
    order = np.argsort(times, kind="stable")
    times, values = times[order], values[order]
    if len(times) <= limit:
        return [float(t) for t in times], [float(v) for v in values]
    picked: list[int] = []
    for bucket in np.array_split(np.arange(len(times)), max(limit // 2, 1)):
        low, high = int(bucket[np.argmin(values[bucket])]), int(bucket[np.argmax(values[bucket])])
        picked += sorted({low, high})
    return [float(times[i]) for i in picked], [float(values[i]) for i in picked]


def format_value(metric: str, value: float) -> str:
    """A value in the unit its metric's name says: ``_ratio`` as a percentage, ``_seconds`` in ms or s,
    ``_bytes`` in KiB…GiB; anything else with three significant digits."""
    if not math.isfinite(value):
        return str(value)
    if metric.endswith("_ratio"):
        return f"{value * 100:.3g}%"
    if metric.endswith("_seconds"):
        return f"{value * 1000:.3g} ms" if abs(value) < 1 else f"{value:.3g} s"
    if metric.endswith("_bytes"):
        for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
            if abs(value) >= size:
                return f"{value / size:.3g} {unit}"
        return f"{value:.3g} B"
    return f"{value:.3g}"
