"""Saturating resources and their bounds: which kinds of signal run out when they fill up, and which series
state a resource's bound (its limit or capacity) rather than its use."""

from __future__ import annotations

import re

from tools.rca.vocabulary import classify

__all__ = ["SATURATING", "is_limit"]

SATURATING = frozenset({"disk", "memory", "saturation", "queue"})
"""Kinds of resources that run out when they fill up."""

_LIMIT = re.compile(r"limit|capacity|_max\b|max_|_size\b|size_bytes|quota", re.IGNORECASE)


def is_limit(metric: str) -> bool:
    """A saturating resource's bound (``memory_limit_bytes``, ``queue_capacity``), not its use: its change
    is a resize, not trouble. (A latency's ``…_max_seconds`` is a measure, not a bound.)"""
    return classify(metric).kind in SATURATING and bool(_LIMIT.search(metric))
