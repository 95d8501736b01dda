"""Prometheus HTTP API (``/api/v1/query``, ``/query_range``, ``/series``, ``/alerts``, ``/rules``) as a metrics
source."""

from __future__ import annotations

from contextlib import suppress
from functools import cached_property
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np

from tools.rca.vocabulary import recorded_names
from tools.sources.base import Series

if TYPE_CHECKING:
    from tools.sources.profile_reader import ProfileReader

__all__ = ["PrometheusSource", "default_signal_queries", "BackendError"]

RECORDED_SIGNALS = '{{__name__=~"{names}",service!=""}}'
"""The vocabulary's own names (as recording rules or an exporter write them), for every service."""
RECORDED_ANYTHING = "andon:signal"
"""Anything a deployment records as ``andon:signal{service=…,signal=…}``, read as its ``signal``."""


def default_signal_queries() -> list[str]:
    """Series ranked for anomalies: the signals of the vocabulary (``tools/rca/vocabulary.yaml``) by their
    own names, plus ``andon:signal``; the detected signal profiles add the standard names of ordinary
    stacks (``tools/sources/profiles.yaml``)."""
    return [RECORDED_SIGNALS.format(names="|".join(recorded_names())), RECORDED_ANYTHING]


class BackendError(RuntimeError):
    pass


class PrometheusSource:
    """A metrics source over a live Prometheus; ``client`` may carry a test transport."""

    def __init__(
        self,
        url: str,
        client: httpx.Client | None = None,
        timeout_s: float = 10.0,
        signal_queries: list[str] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.client = client or httpx.Client(timeout=timeout_s)
        self.signal_queries = signal_queries or default_signal_queries()

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        try:
            response = self.client.get(f"{self.url}{path}", params=params)
        except httpx.HTTPError as exc:
            raise BackendError(f"Prometheus at {self.url} unreachable: {exc}") from exc
        try:
            body = response.json()
        except ValueError as exc:
            raise BackendError(f"Prometheus answered {response.status_code} with non-JSON") from exc
        if response.status_code >= 400 or body.get("status") != "success":
            raise BackendError(f"Prometheus error {response.status_code}: {body.get('error', body)}")
        return body["data"]

    @staticmethod
    def _matrix(data: dict[str, Any]) -> list[Series]:
        out = []
        for item in data.get("result", []):
            labels = {str(k): str(v) for k, v in item.get("metric", {}).items()}
            if labels.get("__name__", "").startswith("andon:") and labels.get("signal"):
                labels["__name__"] = labels["signal"]
            points = item.get("values") or ([item["value"]] if "value" in item else [])
            times = np.array([float(t) for t, _ in points], dtype=float)
            values = np.array([float(v) for _, v in points], dtype=float)
            out.append(Series(labels, times, values))
        return out

    @cached_property
    def profiles(self) -> ProfileReader:
        """The signal profiles this server speaks (OpenTelemetry, cAdvisor, kube-state-metrics…)."""
        from tools.sources.profile_reader import ProfileReader

        return ProfileReader(self)

    def scrape_s(self) -> float:
        """How often the server scrapes (its slowest job, as its configuration says; 15 s when it does not say)."""
        return self.profiles.scrape_s()

    def get_data(self, path: str, params: dict[str, Any]) -> Any:
        return self._get(path, params)

    def raw_range(self, query: str, start: float, end: float, step: float) -> list[Series]:
        step = max(step, 1.0)
        if (end - start) / step > 10_000:
            step = (end - start) / 10_000
        return self._matrix(
            self._get("/api/v1/query_range", {"query": query, "start": start, "end": end, "step": step})
        )

    def query_range(self, query: str, start: float, end: float, step: float) -> list[Series]:
        """PromQL over a range; a derived series' selector (``…{profile="otel-http",…}``) is read through
        its profile."""
        derived = self.profiles.resolve(query, start, end, step)
        return self.raw_range(query, start, end, step) if derived is None else derived

    def query(self, query: str, at: float) -> list[Series]:
        return self._matrix(self._get("/api/v1/query", {"query": query, "time": at}))

    def candidate_series(self, start: float, end: float, step: float) -> list[Series]:
        out: list[Series] = []
        for query in self.signal_queries:
            try:
                out.extend(self.query_range(query, start, end, step))
            except BackendError:
                if query == self.signal_queries[0]:
                    raise
        recorded = {(s.service, s.name) for s in out}  # a signal recording rules already give is not guessed again
        with suppress(BackendError):  # a server that cannot list its metric names answered the vocabulary's queries
            out.extend(s for s in self.profiles.candidates(start, end, step) if (s.service, s.name) not in recorded)
        return out

    def alert_rules(self) -> list[dict[str, Any]]:
        data = self._get("/api/v1/rules", {"type": "alert"})
        return [rule for group in data.get("groups", []) for rule in group.get("rules", [])]

    def firing(self) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/alerts", {}).get("alerts", []))
