"""Parse the time expressions scenarios and fixtures use: ``-6m``, ``+30s``, ``2h``, ISO 8601, unix seconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

__all__ = ["epoch_seconds", "parse_duration", "parse_instant", "to_datetime"]

_DURATION = re.compile(r"^\s*([+-]?)\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


_COMPOUND = re.compile(r"^\s*([+-]?)\s*((?:\d+(?:\.\d+)?(?:ms|s|m|h|d)\s*){2,})$")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: Any) -> float:
    """Seconds in a duration like ``30s``, ``-6m``, ``1.5h``, ``-8m30s`` or a bare number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value)
    match = _DURATION.match(text)
    if match:
        sign = -1.0 if match.group(1) == "-" else 1.0
        return sign * float(match.group(2)) * _UNITS[match.group(3)]
    compound = _COMPOUND.match(text)
    if compound:
        sign = -1.0 if compound.group(1) == "-" else 1.0
        return sign * sum(float(n) * _UNITS[u] for n, u in _PART.findall(compound.group(2)))
    raise ValueError(f"not a duration: {value!r} (use e.g. 30s, -6m, 2h, -8m30s)")


def parse_instant(value: Any, reference: float | None = None) -> float:
    """Unix seconds for an ISO timestamp, unix seconds, or a duration relative to ``reference``."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 1e8:
        return float(value)
    text = str(value).strip()
    if re.fullmatch(r"\d{9,}(\.\d+)?", text):
        return float(text)  # unix seconds as a string (Slack's message ts)
    if reference is not None and (_DURATION.match(text) or _COMPOUND.match(text)):
        return reference + parse_duration(text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"not a time: {value!r} (use ISO 8601, unix seconds or an offset like -6m)") from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def to_datetime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def epoch_seconds(value: Any) -> float | None:
    """Unix seconds from what a backend wrote: unix seconds, milli-, micro- or nanoseconds (numbers or
    digit strings) or ISO 8601 (a comma decimal separator too); ``None`` when it is none of these."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
        value = float(value)
    if isinstance(value, int | float):
        number = float(value)
        while number > 1e11:  # milliseconds, microseconds or nanoseconds
            number /= 1000.0
        return number if number > 1e8 else None
    try:
        return parse_instant(str(value).strip().replace(",", "."))
    except ValueError:
        return None
