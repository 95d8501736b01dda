"""Log files on disk as a log source: ``<log_dir>/<service>.log``, one entry per line.

A line is either a JSON object (structured logging: a time under ``ts``/``time``/``timestamp``/
``@timestamp`` as unix seconds, milliseconds or ISO 8601; ``level``; ``msg``/``message``) or plain text
that starts with an ISO 8601 timestamp (``2024-05-01T12:00:03Z ERROR …``, optionally bracketed).
Anything else — continuation lines, garbage — is skipped. Files are read backwards from the end in
blocks, so a long-running service's large log costs only the window asked for.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from tools.sources.base import LogLine
from tools.sources.levels import infer_level, normalise_level
from tools.sources.timespec import epoch_seconds

__all__ = ["LogFileSource", "parse_log_line"]

_TIME_KEYS = ("ts", "time", "timestamp", "@timestamp", "t", "date")
_LEVEL_KEYS = ("level", "lvl", "severity", "log.level", "levelname")
_MESSAGE_KEYS = ("msg", "message", "text", "log", "event")
_LEADING_ISO = re.compile(
    r"^\s*\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|z|[+-]\d{2}:?\d{2})?)\]?\s*(.*)$"
)
_SLACK_S = 300.0
"""How far before the window a block must reach before reading stops (tolerates out-of-order writes)."""


def _from_json(record: dict[str, Any], service: str, raw: str) -> LogLine | None:
    ts = next((t for key in _TIME_KEYS if key in record and (t := epoch_seconds(record[key])) is not None), None)
    if ts is None:
        return None
    text = next((str(record[key]) for key in _MESSAGE_KEYS if isinstance(record.get(key), str | int | float)), raw)
    level = next((lvl for key in _LEVEL_KEYS if (lvl := normalise_level(record.get(key, ""))) is not None), None)
    for key in ("error", "err", "exception", "exc_info", "stack"):
        if record.get(key) and str(record[key]) not in text:
            text = f"{text} {key}={record[key]}"
    return LogLine(ts=ts, service=service, text=text, level=level or infer_level(text))


def parse_log_line(raw: str, service: str) -> LogLine | None:
    """One log line as a :class:`LogLine`, or ``None`` when it carries no recognisable timestamp."""
    raw = raw.strip()
    if not raw:
        return None
    if raw.startswith("{"):
        try:
            record = json.loads(raw)
        except ValueError:
            return None
        return _from_json(record, service, raw) if isinstance(record, dict) else None
    match = _LEADING_ISO.match(raw)
    if not match:
        return None
    ts = epoch_seconds(match.group(1))
    if ts is None:
        return None
    text = match.group(2).strip()
    return LogLine(ts=ts, service=service, text=text, level=infer_level(text))


class LogFileSource:
    """Reads ``<log_dir>/<service>.log``; every ``*.log`` file when no service is given."""

    def __init__(self, log_dir: str | os.PathLike[str], max_bytes: int = 64 << 20, block_bytes: int = 1 << 20) -> None:
        self.log_dir = Path(log_dir)
        self.max_bytes = max_bytes
        self.block_bytes = block_bytes

    def services(self) -> list[str]:
        return sorted(path.stem for path in self.log_dir.glob("*.log") if path.is_file())

    def lines(self, start: float, end: float, service: str | None = None, query: str | None = None) -> list[LogLine]:
        names = [service] if service else self.services()
        needle = query.lower() if query else None
        out: list[LogLine] = []
        for name in names:
            path = self.log_dir / f"{name}.log"
            if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
                continue
            for line in self._read_window(path, name, start):
                if start <= line.ts <= end and (needle is None or needle in line.text.lower()):
                    out.append(line)
        out.sort(key=lambda line: line.ts)
        return out

    def _read_window(self, path: Path, service: str, start: float) -> list[LogLine]:
        """Parsed lines from the end of ``path`` back to a little before ``start`` (or ``max_bytes``)."""
        parsed: list[LogLine] = []
        with path.open("rb") as handle:
            position = handle.seek(0, os.SEEK_END)
            carry = b""
            read = 0
            while position > 0 and read < self.max_bytes:
                size = min(self.block_bytes, position)
                position -= size
                handle.seek(position)
                chunk = handle.read(size) + carry
                read += size
                pieces = chunk.split(b"\n")
                carry = pieces[0] if position > 0 else b""
                complete = pieces[1:] if position > 0 else pieces
                block = [p for raw in complete if (p := parse_log_line(raw.decode("utf-8", "replace"), service))]
                parsed.extend(block)
                if block and min(line.ts for line in block) < start - _SLACK_S:
                    break
        return parsed
