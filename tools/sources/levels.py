"""Log levels: normalise what a logger wrote (``WARN``, ``err``, ``panic``) and guess the level of a
line that carries none, so Loki and log-file sources report the same vocabulary."""

from __future__ import annotations

import re

__all__ = ["LEVELS", "infer_level", "normalise_level"]

LEVELS = ("debug", "info", "warning", "error", "critical")
"""The levels a :class:`~tools.sources.base.LogLine` carries."""

_ALIASES = {
    "trace": "debug",
    "debug": "debug",
    "dbg": "debug",
    "verbose": "debug",
    "info": "info",
    "information": "info",
    "informational": "info",
    "notice": "info",
    "inf": "info",
    "warn": "warning",
    "warning": "warning",
    "wrn": "warning",
    "error": "error",
    "err": "error",
    "eror": "error",
    "critical": "critical",
    "crit": "critical",
    "fatal": "critical",
    "panic": "critical",
    "emerg": "critical",
    "emergency": "critical",
    "alert": "critical",
    "severe": "error",
}
_FIELD = re.compile(r"""(?i)["']?(?:level|lvl|severity|loglevel|log_level)["']?\s*[:=]\s*["']?([a-z]+)""")
_WORD = re.compile(r"\b(TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|ERR|CRITICAL|CRIT|FATAL|PANIC|SEVERE)\b")
_BRACKETED = re.compile(r"(?i)\[(trace|debug|info|notice|warn(?:ing)?|error|err|critical|crit|fatal|panic)\]")
_ERRORISH = re.compile(r"(?i)\b(exception|traceback|fail(?:ed|ure)?|panic|fatal|refused|timed? ?out|oom\w*)\b")


def normalise_level(value: object) -> str | None:
    """One of :data:`LEVELS` for a level name a logger wrote, or ``None`` when it is not one.

    Numeric levels are read as syslog severities (0–7) or Python/bunyan levels (10–60)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = int(value)
        if number <= 7:
            return ("critical", "critical", "critical", "error", "warning", "info", "info", "debug")[max(number, 0)]
        return (
            "debug"
            if number < 20
            else "info"
            if number < 30
            else "warning"
            if number < 40
            else "error"
            if number < 50
            else "critical"
        )
    return _ALIASES.get(str(value).strip().lower())


def infer_level(text: str) -> str:
    """The level of a raw log line: an explicit ``level=``/``"level":`` field, an upper-case or
    bracketed level word, else ``error`` for lines that read like failures and ``info`` otherwise."""
    for pattern in (_FIELD, _BRACKETED, _WORD):
        match = pattern.search(text)
        if match:
            level = normalise_level(match.group(1))
            if level:
                return level
    return "error" if _ERRORISH.search(text) else "info"
