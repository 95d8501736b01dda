"""Unicode sparklines (``▁▂▃▄▅▆▇█``): a series' shape in a dozen characters, for the terminal."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["sparkline", "spark_key", "BARS"]

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int = 16) -> str:
    """``values`` drawn in ``width`` characters (fewer when there are fewer values), lowest ``▁`` to highest
    ``█``; each character is the mean of its share of the values. Non-finite values are skipped; a flat
    series is a flat line; nothing to draw is ``""``."""
    finite = [float(v) for v in values if math.isfinite(v)]
    if not finite or width <= 0:
        return ""
    cells = min(width, len(finite))
    buckets = [finite[len(finite) * i // cells : len(finite) * (i + 1) // cells] for i in range(cells)]
    means = [sum(b) / len(b) for b in buckets]
    low, high = min(means), max(means)
    if high - low <= 1e-12 * max(abs(high), abs(low), 1.0):
        return BARS[0] * cells
    top = len(BARS) - 1
    return "".join(BARS[min(top, int(round((m - low) / (high - low) * top)))] for m in means)


def spark_key(item: Mapping[str, Any]) -> str:
    """How a piece of evidence (its call id and text) finds its sparkline in
    :func:`bot.charts.evidence.evidence_sparklines`' answer."""
    return f"{item.get('call_id', '')}\x1f{item.get('summary', '')}"
