"""Reading a Prometheus through its detected signal profiles: which profiles it speaks, which label names
its services, the profiles' series for every service, a look-back at one derived series, and the service
graph when the server records one."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import yaml

from tools.sources.base import Series
from tools.sources.profiles import (
    DEFAULT_SCRAPE_S,
    PROFILE_LABEL,
    Profile,
    detect,
    load_profiles,
    name_series,
    parse_selector,
    query,
)
from tools.sources.timespec import parse_duration

if TYPE_CHECKING:
    from tools.sources.prometheus import PrometheusSource

__all__ = ["ProfileReader", "TOPOLOGY_QUERIES", "slowest_scrape_s"]

DETECTION_TTL_S = 300.0
"""Metric names and service labels are re-read this often: a new exporter shows up within five minutes."""
TOPOLOGY_QUERIES = (
    ("servicegraph", "sum by (client, server) (rate(traces_service_graph_request_total[10m]))", "client", "server"),
    (
        "istio",
        'sum by (source_workload, destination_workload) (rate(istio_requests_total{reporter="source"}[10m]))',
        "source_workload",
        "destination_workload",
    ),
    (
        "linkerd",
        'sum by (deployment, dst_deployment) (rate(response_total{direction="outbound"}[10m]))',
        "deployment",
        "dst_deployment",
    ),
)
"""Where a call graph is read from: Tempo's or the OpenTelemetry Collector's servicegraph metric, then
Istio's and Linkerd's source/destination labels (caller label, callee label)."""


PROMETHEUS_DEFAULT_SCRAPE = "1m"
"""Prometheus' own default when its configuration sets no ``scrape_interval``."""


def slowest_scrape_s(config_yaml: str) -> float | None:
    """The longest scrape interval a Prometheus configuration sets (global or per job), in seconds: a rate
    window that holds two of its scrapes holds two of every job's. None when the text is not a config."""
    try:
        config = yaml.safe_load(config_yaml)
    except yaml.YAMLError:
        return None
    if not isinstance(config, dict):
        return None
    default = (config.get("global") or {}).get("scrape_interval", PROMETHEUS_DEFAULT_SCRAPE)
    intervals = [default] + [
        job.get("scrape_interval", default) for job in config.get("scrape_configs") or [] if isinstance(job, dict)
    ]
    seconds = []
    for interval in intervals:
        try:
            seconds.append(parse_duration(interval))
        except ValueError:
            continue
    return max(seconds) if seconds else None


class ProfileReader:
    def __init__(self, source: PrometheusSource) -> None:
        self.source = source
        self._active: list[tuple[Profile, str]] = []
        self._read_at = -DETECTION_TTL_S
        self._scrape_s = DEFAULT_SCRAPE_S

    def scrape_s(self) -> float:
        """The server's slowest scrape interval, read with the profiles (a server that does not say, such as
        a managed one without ``/api/v1/status/config``, is taken to scrape every 15 s)."""
        self.active()
        return self._scrape_s

    def _read_scrape_s(self) -> float:
        from tools.sources.prometheus import BackendError

        try:
            data = self.source.get_data("/api/v1/status/config", {})
        except BackendError:
            return DEFAULT_SCRAPE_S
        found = slowest_scrape_s(str(data.get("yaml", ""))) if isinstance(data, dict) else None
        return found or DEFAULT_SCRAPE_S

    def metric_names(self) -> set[str]:
        return {str(n) for n in self.source.get_data("/api/v1/label/__name__/values", {})}

    def active(self) -> list[tuple[Profile, str]]:
        """The detected profiles, each with the label that names its services on this server."""
        if time.monotonic() - self._read_at < DETECTION_TTL_S:
            return self._active
        found = []
        for profile in detect(self.metric_names()):
            label = self._service_label(profile)
            if label:
                found.append((profile, label))
        self._active, self._read_at, self._scrape_s = found, time.monotonic(), self._read_scrape_s()
        return found

    def _service_label(self, profile: Profile) -> str:
        """The first of the profile's service labels that its series carry."""
        names = "|".join(profile.detect)
        grouping = ", ".join(profile.service_labels)
        rows = self.source.query(f'count by ({grouping}) ({{__name__=~"{names}"}})', time.time())
        for label in profile.service_labels:
            if any(row.labels.get(label) for row in rows):
                return label
        return ""

    def candidates(self, start: float, end: float, step: float) -> list[Series]:
        """Every detected profile's signals, for all services."""
        from tools.sources.prometheus import BackendError

        out: list[Series] = []
        for profile, label in self.active():
            for derived in profile.signals:
                try:
                    found = self.source.raw_range(
                        query(profile, derived, label, step, scrape_s=self._scrape_s), start, end, step
                    )
                except BackendError:
                    continue  # one template the server cannot answer (a metric it lacks) leaves the others
                out.extend(name_series(found, profile, derived, label))
        return out

    def resolve(self, selector: str, start: float, end: float, step: float) -> list[Series] | None:
        """A derived series' selector (``latency_p99_seconds{profile="otel-http",service="api"}``) read
        through its profile's query; None for any other query."""
        parsed = parse_selector(selector)
        if parsed is None or PROFILE_LABEL not in parsed[1]:
            return None
        name, labels = parsed
        by_name = {p.name: p for p in load_profiles()}
        profile = by_name.get(labels.pop(PROFILE_LABEL))
        derived = profile.signal(name) if profile else None
        label = next((lab for p, lab in self.active() if profile and p.name == profile.name), "")
        if profile is None or derived is None or not label:
            return []
        found = self.source.raw_range(query(profile, derived, label, step, labels, self.scrape_s()), start, end, step)
        return name_series(found, profile, derived, label)

    def topology(self) -> tuple[str, dict[str, list[str]]]:
        """(where it came from, service → the services it calls), from the first source that has edges."""
        from tools.sources.prometheus import BackendError

        for origin, promql, caller, callee in TOPOLOGY_QUERIES:
            try:
                rows = self.source.query(promql, time.time())
            except BackendError:
                continue
            graph: dict[str, list[str]] = {}
            for row in rows:
                a, b = row.labels.get(caller, ""), row.labels.get(callee, "")
                if a and b and a != b and b not in graph.setdefault(a, []):
                    graph[a].append(b)
            if graph:
                return origin, {k: sorted(v) for k, v in sorted(graph.items())}
        return "none", {}

    def summary(self) -> list[dict[str, Any]]:
        return [{"name": p.name, "service_label": label, "about": p.about} for p, label in self.active()]
