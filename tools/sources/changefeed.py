"""A generic change feed over HTTP: deploys, config changes and flag flips a CI/CD system records.

``GET <url>?since=<unix>&until=<unix>`` answers a JSON list (or ``{"changes": [...]}``) of::

    {"ts": 1714564800 (s or ms) | "at": "2024-05-01T12:00:00Z", "service": "checkout", "kind": "deploy",
     "version": "1.4.2", "previous_version": "1.4.1", "description": "...", "author": "...", "flag": ""}

Entries without a service or a readable time are skipped; the window is applied again on this side
in case the feed ignores the parameters.
"""

from __future__ import annotations

import math
from typing import Any

import httpx

from tools.sources.base import Change
from tools.sources.prometheus import BackendError
from tools.sources.timespec import epoch_seconds

__all__ = ["ChangeFeedSource", "parse_change"]


def parse_change(item: Any) -> Change | None:
    """One feed entry as a :class:`Change`, or ``None`` when it lacks a service or a time."""
    if not isinstance(item, dict) or not item.get("service"):
        return None
    ts = epoch_seconds(item.get("ts", item.get("at")))
    if ts is None:
        return None

    def text(key: str) -> str:
        value = item.get(key)
        return "" if value is None else str(value)

    return Change(
        ts=ts,
        service=text("service"),
        kind=text("kind") or "deploy",
        description=text("description"),
        version=text("version"),
        previous_version=text("previous_version"),
        author=text("author"),
        flag=text("flag"),
    )


class ChangeFeedSource:
    """A change source over a JSON feed; ``client`` may carry a test transport."""

    def __init__(self, url: str, client: httpx.Client | None = None, timeout_s: float = 10.0) -> None:
        self.url = url
        self.client = client or httpx.Client(timeout=timeout_s)

    def changes(self, start: float, end: float, service: str | None = None) -> list[Change]:
        params = {"since": str(math.floor(start)), "until": str(math.ceil(end))}
        try:
            response = self.client.get(self.url, params=params)
        except httpx.HTTPError as exc:
            raise BackendError(f"change feed at {self.url} unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise BackendError(f"change feed error {response.status_code}: {response.text[:200]}")
        try:
            body = response.json()
        except ValueError as exc:
            raise BackendError(f"change feed answered {response.status_code} with non-JSON") from exc
        items = body.get("changes", body.get("items")) if isinstance(body, dict) else body
        if not isinstance(items, list):
            raise BackendError('change feed must answer a JSON list of changes (or {"changes": [...]})')
        out = [
            c
            for c in map(parse_change, items)
            if c is not None and start <= c.ts <= end and (service is None or c.service == service)
        ]
        return sorted(out, key=lambda c: c.ts)
