"""When a person says the trouble began: "since 09:40", "20 min ago", "in the last hour", "since this
morning". A clock time or a lag gives the onset; a span gives only how far back it may lie, so the
ranking searches the whole span for the change instead of trusting the time of the message."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

__all__ = ["ReportedTime", "when_it_began"]

UNSAID_LAG_S = 600.0
"""With no time in the message, the trouble is taken to have begun this long before it was written."""
VAGUE_SPANS_S = (
    (re.compile(r"\b(since|from) (yesterday|last night)\b|\ball (day|night)\b|\bfor days\b"), 24 * 3600.0),
    (
        re.compile(
            r"\b(this|since) (?:(?:around|about|roughly|just (?:before|after)|before|after) )?(?:the )?"
            r"(morning|afternoon|evening|lunch(?:time)?|noon|midday|breakfast)\b"
            r"|\bfor (hours|a while|some time|ages)\b|\bsince (early|earlier) today\b|\btoday\b"
        ),
        6 * 3600.0,
    ),
)
"""Phrases that put the start hours back without saying when: how far back each may reach."""
_UNIT_S = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}  # by the unit word's first letter
_WORD_NUMBERS = {
    "a": 1.0,
    "an": 1.0,
    "one": 1.0,
    "two": 2.0,
    "three": 3.0,
    "four": 4.0,
    "five": 5.0,
    "ten": 10.0,
    "fifteen": 15.0,
    "twenty": 20.0,
    "thirty": 30.0,
    "forty": 40.0,
    "forty-five": 45.0,
    "a couple of": 2.0,
    "a couple": 2.0,
    "couple of": 2.0,
    "a few": 3.0,
    "few": 3.0,
    "several": 3.0,
    "half an": 0.5,
    "half a": 0.5,
}
"""How people count in chat ("an hour ago", "a couple of hours", "half an hour"): the number each says."""
_HEDGE = r"(?:(?:about|around|roughly|approximately|almost|nearly|maybe|perhaps|like|some|over|more than|~)\s*)?"
_WORDS = "|".join(sorted((re.escape(w) for w in _WORD_NUMBERS), key=len, reverse=True))
_NUMBER = rf"{_HEDGE}(\d+|{_WORDS})(?:\s*(?:-|–|to|or)\s*(\d+))?"
_UNIT = r"(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b"
_AGO = re.compile(rf"\b{_NUMBER}\s*{_UNIT}\s+ago\b")
_FOR = re.compile(rf"\b(?:for|since) (?:the (?:last|past) )?{_NUMBER}\s*{_UNIT}")
_WITHIN = re.compile(rf"\b(?:within|in|during|over) the (?:last|past) (?:{_NUMBER}\s*)?{_UNIT}")
_CLOCK = re.compile(r"\b(?:since|from|starting(?: at)?) (\d{1,2}):(\d{2})(?::(\d{2}))?")


@dataclass(frozen=True)
class ReportedTime:
    started_at: float
    within_s: float | None = None
    """Set when only a span was said: the trouble began at most this long before the message."""


def _seconds(match: re.Match[str]) -> float:
    """The lag a match says: "20 min"; "15-20 min" its later end (the change-point search reaches back from
    it, not forward); "the last hour" one."""
    said = (match.group(1) or "1").lower()
    number = _WORD_NUMBERS[said] if said in _WORD_NUMBERS else float(said)
    return number * _UNIT_S[match.group(3)[0]]


def when_it_began(text: str, now: float) -> ReportedTime:
    lower = text.lower()
    clock = _CLOCK.search(lower)
    if clock:
        struct = time.gmtime(now)
        candidate = (
            time.mktime(
                (
                    struct.tm_year,
                    struct.tm_mon,
                    struct.tm_mday,
                    int(clock.group(1)),
                    int(clock.group(2)),
                    int(clock.group(3) or 0),
                    0,
                    0,
                    0,
                )
            )
            - time.timezone
        )
        return ReportedTime(candidate if candidate <= now else candidate - 86400)
    for pattern in (_AGO, _FOR):
        lag = pattern.search(lower)
        if lag:
            return ReportedTime(now - _seconds(lag))
    within = _WITHIN.search(lower)
    if within:
        return ReportedTime(now - UNSAID_LAG_S, within_s=_seconds(within))
    for pattern, span in VAGUE_SPANS_S:
        if pattern.search(lower):
            return ReportedTime(now - UNSAID_LAG_S, within_s=span)
    return ReportedTime(now - UNSAID_LAG_S)
