"""Alertmanager API v2: active alerts, groups and silences (reading), creating silences (actuator)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx

from tools.sources.prometheus import BackendError

__all__ = ["AlertmanagerSource"]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


class AlertmanagerSource:
    def __init__(self, url: str, client: httpx.Client | None = None, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.client = client or httpx.Client(timeout=timeout_s)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, f"{self.url}/api/v2{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise BackendError(f"Alertmanager at {self.url} unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise BackendError(f"Alertmanager error {response.status_code}: {response.text[:200]}")
        return response.json() if response.content else None

    def alerts(self) -> list[dict[str, Any]]:
        return list(self._request("GET", "/alerts", params={"active": "true", "silenced": "false"}) or [])

    def groups(self) -> list[dict[str, Any]]:
        return list(self._request("GET", "/alerts/groups") or [])

    def silences(self) -> list[dict[str, Any]]:
        return [s for s in self._request("GET", "/silences") or [] if s.get("status", {}).get("state") == "active"]

    def create_silence(self, matchers: dict[str, str], duration_s: float, comment: str, author: str = "andon") -> str:
        now = time.time()
        body = {
            "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in matchers.items()],
            "startsAt": _iso(now),
            "endsAt": _iso(now + duration_s),
            "createdBy": author,
            "comment": comment,
        }
        return str(self._request("POST", "/silences", json=body)["silenceID"])
