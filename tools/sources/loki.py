"""Grafana Loki (``GET /loki/api/v1/query_range``) as a log source.

Streams are selected by a service label (``{service="checkout"}``); deployments whose log shipper
labels streams ``app`` or ``job`` instead are found by trying those labels in turn. An optional text
filter becomes a LogQL line filter (``|= "timeout"``, case-sensitive as Loki's is).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from tools.sources.base import LogLine
from tools.sources.levels import infer_level, normalise_level
from tools.sources.prometheus import BackendError

__all__ = ["LokiSource", "logql_selector"]

DEFAULT_SERVICE_LABELS = ("service", "app", "job")
"""Stream labels that may name a service, in the order they are tried and read."""
_LEVEL_LABELS = ("level", "detected_level", "severity")


def _quote(text: str) -> str:
    """A LogQL double-quoted string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def logql_selector(label: str, service: str | None, text: str | None) -> str:
    """``{label="service"}`` (or ``{label=~".+"}`` for every service) with an optional ``|= "text"`` filter."""
    matcher = f"{label}={_quote(service)}" if service else f'{label}=~".+"'
    query = "{" + matcher + "}"
    return f"{query} |= {_quote(text)}" if text else query


class LokiSource:
    """A log source over Loki's HTTP API; ``client`` may carry a test transport."""

    def __init__(
        self,
        url: str,
        client: httpx.Client | None = None,
        timeout_s: float = 10.0,
        limit: int = 1000,
        service_labels: Sequence[str] = DEFAULT_SERVICE_LABELS,
        tenant: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.client = client or httpx.Client(timeout=timeout_s)
        self.limit = limit
        self.service_labels = tuple(service_labels)
        self.headers = {"X-Scope-OrgID": tenant} if tenant else {}

    def lines(self, start: float, end: float, service: str | None = None, query: str | None = None) -> list[LogLine]:
        """Up to ``limit`` lines (the most recent ones), oldest first."""
        for label in self.service_labels:
            found = self._query_range(logql_selector(label, service, query), start, end)
            if found:
                return found
        return []

    def _query_range(self, logql: str, start: float, end: float) -> list[LogLine]:
        params: dict[str, str | int] = {
            "query": logql,
            "start": str(int(start * 1e9)),
            "end": str(int(end * 1e9)),
            "limit": self.limit,
            "direction": "backward",
        }
        try:
            response = self.client.get(f"{self.url}/loki/api/v1/query_range", params=params, headers=self.headers)
        except httpx.HTTPError as exc:
            raise BackendError(f"Loki at {self.url} unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise BackendError(f"Loki error {response.status_code}: {response.text[:200]}")
        try:
            body = response.json()
        except ValueError as exc:
            raise BackendError(f"Loki answered {response.status_code} with non-JSON") from exc
        if body.get("status") != "success":
            raise BackendError(f"Loki error: {body.get('error', body)}")
        return self._parse(body.get("data") or {})

    def _parse(self, data: dict[str, Any]) -> list[LogLine]:
        if data.get("resultType") != "streams":
            raise BackendError(f"Loki returned {data.get('resultType')!r}, expected streams (is this a metric query?)")
        out: list[LogLine] = []
        for stream in data.get("result") or []:
            labels = {str(k): str(v) for k, v in (stream.get("stream") or {}).items()}
            service = next((labels[k] for k in self.service_labels if labels.get(k)), "")
            stream_level = next((lvl for k in _LEVEL_LABELS if (lvl := normalise_level(labels.get(k, "")))), None)
            for entry in stream.get("values") or []:
                try:
                    ts, text = int(entry[0]) / 1e9, str(entry[1])
                except (TypeError, ValueError, IndexError):
                    continue  # a malformed entry costs one line, not the query
                out.append(LogLine(ts=ts, service=service, text=text, level=stream_level or infer_level(text)))
        out.sort(key=lambda line: line.ts)
        return out
