"""Compact, model-friendly summaries of series and records (never a raw dump)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tools.sources.base import Series

__all__ = ["summarise_series", "pick_step"]


def pick_step(start: float, end: float, points: int = 120) -> float:
    """A step giving about ``points`` samples, rounded to a human step (15s, 30s, 1m, 5m…)."""
    raw = max((end - start) / points, 1.0)
    for step in (5, 15, 30, 60, 120, 300, 600, 1800, 3600):
        if raw <= step:
            return float(step)
    return 3600.0


def summarise_series(series: Series) -> dict[str, Any]:
    values = series.values[np.isfinite(series.values)]
    if len(values) == 0:
        return {"series": series.key(), "points": 0}
    half = max(len(values) // 2, 1)
    first, second = float(np.median(values[:half])), float(np.median(values[half:]))
    trend = "rising" if second > first * 1.2 + 1e-9 else "falling" if second < first * 0.8 - 1e-9 else "flat"
    return {
        "series": series.key(),
        "points": int(len(values)),
        "min": round(float(values.min()), 6),
        "max": round(float(values.max()), 6),
        "mean": round(float(values.mean()), 6),
        "last": round(float(values[-1]), 6),
        "trend": trend,
    }
