"""Parse the time expressions scenarios and fixtures use: ``-6m``, ``+30s``, ``2h``, ISO 8601, unix seconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

__all__ = ["parse_duration", "parse_instant", "to_datetime"]

_DURATION = re.compile(r"^\s*([+-]?)\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(value: Any) -> float:
    """Seconds in a duration like ``30s``, ``-6m``, ``1.5h`` or a bare number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, -6m, 2h)")
    sign = -1.0 if match.group(1) == "-" else 1.0
    return sign * float(match.group(2)) * _UNITS[match.group(3)]


def parse_instant(value: Any, reference: float | None = None) -> float:
    """Unix seconds for an ISO timestamp, unix seconds, or a duration relative to ``reference``."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 1e8:
        return float(value)
    text = str(value).strip()
    if reference is not None and _DURATION.match(text):
        return reference + parse_duration(text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"not a time: {value!r} (use ISO 8601, unix seconds or an offset like -6m)") from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def to_datetime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)
