"""The evidence an investigation gathered, read once from its tool results into typed records.

Tool results travel as plain data (a model reads them, the incident store keeps them); the engine reads
them here, once, and works on records from then on. Results with an error status are skipped and
remembered as what could not be read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tools.rca.records import ChangeLink, KubeEvent, LogSpike, Node, Pod, ServiceRecord, Trend, from_data

__all__ = ["Evidence", "read_evidence", "event_reason", "TELEMETRY_TOOLS"]

_KUBELET_BACKOFFS = {"restarting failed container": "CrashLoopBackOff", "pulling image": "ImagePullBackOff"}
"""What a kubelet ``BackOff`` event says, by its message: the pod status it reports as an event."""

TELEMETRY_TOOLS = {
    "rank_anomalies": "metrics",
    "correlate_changes": "the change feed",
    "log_template_spikes": "logs",
    "k8s_pods": "Kubernetes pods",
    "k8s_events": "Kubernetes events",
    "k8s_nodes": "Kubernetes nodes",
    "firing_alerts": "alerts",
    "series_history": "metric history",
}
"""The tools whose results the engine reads, and what each one is a view of."""


def event_reason(event: KubeEvent) -> str:
    """An event's reason; a kubelet ``BackOff`` names the back-off its message describes ("Back-off
    restarting failed container …" is a CrashLoopBackOff), so checks match events and pod states alike."""
    if event.reason.lower() == "backoff":
        message = event.message.lower()
        return next((status for phrase, status in _KUBELET_BACKOFFS.items() if phrase in message), event.reason)
    return event.reason


def _items(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict) and "items" in data:
        data = data["items"]
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


@dataclass
class Evidence:
    services: dict[str, ServiceRecord] = field(default_factory=dict)
    """service -> its anomaly record."""
    ranked: list[str] = field(default_factory=list)
    """Services in the anomaly ranking's order."""
    anomaly_call: str | None = None
    changes: list[ChangeLink] = field(default_factory=list)
    change_call: str | None = None
    spikes: dict[str, list[LogSpike]] = field(default_factory=lambda: defaultdict(list))
    spike_call: str | None = None
    pods: dict[str, list[Pod]] = field(default_factory=lambda: defaultdict(list))
    pod_call: str | None = None
    events: dict[str, list[KubeEvent]] = field(default_factory=lambda: defaultdict(list))
    event_call: str | None = None
    nodes: list[Node] = field(default_factory=list)
    node_call: str | None = None
    alerts: list[dict[str, Any]] = field(default_factory=list)
    trends: dict[str, Trend] = field(default_factory=dict)
    """series key -> what its longer past showed."""
    trend_call: str | None = None
    unread: dict[str, str] = field(default_factory=dict)
    """What could not be read (source -> the error), for an honest verdict."""
    topology: dict[str, list[str]] = field(default_factory=dict)
    """service -> the services it calls (set by the diagnosis)."""
    senders: set[str] = field(default_factory=set)
    """Services the telemetry names as sending another's load of their own making (set by the diagnosis:
    ``victims.load_named``)."""
    quoted_by: dict[str, list[str]] = field(default_factory=dict)
    """service -> its callers whose failures quote a name it changed (set by the diagnosis:
    ``quoting.quoting_callers``): their trouble is that change's doing."""
    confined_zone: str | None = None
    """The one zone all the trouble is confined to (set by the diagnosis: ``scope.release_zone_victims``)."""

    def series(self, service: str) -> list[Any]:
        record = self.services.get(service)
        return list(record.series) if record else []

    def error_texts(self, service: str) -> list[str]:
        """The texts of ``service``'s new or spiking error log templates (their examples when kept)."""
        return [t for spike in self.spikes.get(service, []) if spike.error_like for t in spike.texts()]

    def log_texts(self, service: str) -> list[str]:
        """The texts of all of ``service``'s new or spiking log templates, warnings and errors alike."""
        return [t for spike in self.spikes.get(service, []) for t in spike.texts()]

    def changes_of(self, service: str) -> list[ChangeLink]:
        return [c for c in self.changes if c.service == service]

    def credentials_of(self, service: str) -> list[ChangeLink]:
        """Credential and certificate changes that reach ``service``: its own, and those of what it calls (a
        database's password rotated is its clients' credential)."""
        reach = {service, *self.topology.get(service, [])}
        return [c for c in self.changes if c.service in reach and c.family in ("credential", "certificate")]

    def k8s_reasons(self, service: str) -> list[str]:
        reasons = [r for pod in self.pods.get(service, []) for r in pod.reasons]
        reasons += [event_reason(e) for e in self.events.get(service, []) if e.type != "Normal"]
        return [r for r in reasons if r]

    def read_anything(self) -> bool:
        """Whether any telemetry answered at all."""
        return any(
            call is not None
            for call in (
                self.anomaly_call,
                self.change_call,
                self.spike_call,
                self.pod_call,
                self.event_call,
                self.node_call,
            )
        )


def read_evidence(calls: list[dict[str, Any]]) -> Evidence:
    """The typed evidence of an investigation's tool calls (the first successful result of each tool)."""
    evidence = Evidence()
    for call in calls:
        tool, status = str(call.get("tool", "")), call.get("status")
        if status not in ("ok", "no_data"):
            if tool in TELEMETRY_TOOLS and status == "error":
                evidence.unread.setdefault(TELEMETRY_TOOLS[tool], str(call.get("summary", ""))[:200])
            continue
        try:
            _read(evidence, tool, str(call.get("id", "")), call.get("data"))
        except (TypeError, ValueError, KeyError, AttributeError) as exc:  # a malformed result is unread, not fatal
            if tool in TELEMETRY_TOOLS:
                evidence.unread.setdefault(TELEMETRY_TOOLS[tool], f"malformed result: {exc}"[:200])
    for source in [s for s in evidence.unread if _answered(evidence, s)]:
        del evidence.unread[source]
    return evidence


def _answered(evidence: Evidence, source: str) -> bool:
    calls = {
        "metrics": evidence.anomaly_call,
        "the change feed": evidence.change_call,
        "logs": evidence.spike_call,
        "Kubernetes pods": evidence.pod_call,
        "Kubernetes events": evidence.event_call,
        "Kubernetes nodes": evidence.node_call,
        "metric history": evidence.trend_call,
    }
    return calls.get(source) is not None


def _read(evidence: Evidence, tool: str, call_id: str, data: Any) -> None:
    if tool == "rank_anomalies" and evidence.anomaly_call is None:
        evidence.anomaly_call = call_id
        for item in _items(data):
            record = ServiceRecord.from_dict(item)
            evidence.services[record.service] = record
            evidence.ranked.append(record.service)
    elif tool == "correlate_changes" and evidence.change_call is None:
        evidence.change_call = call_id
        evidence.changes = [from_data(ChangeLink, item) for item in _items(data)]
    elif tool == "log_template_spikes" and evidence.spike_call is None:
        evidence.spike_call = call_id
        for item in _items(data):
            spike = from_data(LogSpike, item)
            evidence.spikes[spike.service].append(spike)
    elif tool == "k8s_pods" and evidence.pod_call is None:
        evidence.pod_call = call_id
        for item in _items(data):
            pod = from_data(Pod, item)
            evidence.pods[pod.service].append(pod)
    elif tool == "k8s_events" and evidence.event_call is None:
        evidence.event_call = call_id
        for item in _items(data):
            event = from_data(KubeEvent, item)
            evidence.events[event.service].append(event)
    elif tool == "k8s_nodes" and evidence.node_call is None:
        evidence.node_call = call_id
        for item in _items(data):
            node = from_data(Node, item)
            node.zone = node.zone or str((item.get("labels") or {}).get("topology.kubernetes.io/zone", ""))
            evidence.nodes.append(node)
    elif tool == "firing_alerts":
        evidence.alerts = _items(data)
    elif tool == "series_history" and evidence.trend_call is None:
        evidence.trend_call = call_id
        for item in _items(data):
            trend = from_data(Trend, item)
            evidence.trends[trend.key] = trend
