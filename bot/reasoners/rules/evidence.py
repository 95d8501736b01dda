"""A per-service view over the tool results an investigation gathered, for checks and ranking."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EvidenceView", "build_view", "event_reason"]

_KUBELET_BACKOFFS = {"restarting failed container": "CrashLoopBackOff", "pulling image": "ImagePullBackOff"}
"""What a kubelet ``BackOff`` event says, by its message: the pod status it reports as an event."""


def event_reason(event: dict[str, Any]) -> str:
    """An event's reason; a kubelet ``BackOff`` names the back-off its message describes ("Back-off
    restarting failed container …" is a CrashLoopBackOff), so checks match events and pod states alike."""
    reason = str(event.get("reason", ""))
    if reason.lower() == "backoff":
        message = str(event.get("message", "")).lower()
        return next((status for phrase, status in _KUBELET_BACKOFFS.items() if phrase in message), reason)
    return reason


def _items(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict) and "items" in data:
        data = data["items"]
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


@dataclass
class EvidenceView:
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    """service -> its anomaly record (score, raw_score, fault_score, series, propagated_from)."""
    anomaly_call: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    change_call: str | None = None
    spikes: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    spike_call: str | None = None
    pods: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    pod_call: str | None = None
    events: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    event_call: str | None = None
    nodes: list[dict[str, Any]] = field(default_factory=list)
    node_call: str | None = None
    alerts: list[dict[str, Any]] = field(default_factory=list)
    ranked: list[str] = field(default_factory=list)
    """Services in anomaly-rank order (root-cause candidates first)."""

    def series(self, service: str) -> list[dict[str, Any]]:
        return list(self.services.get(service, {}).get("series", []))

    def max_raw(self) -> float:
        return max((float(s.get("raw_score", 0.0)) for s in self.services.values()), default=0.0)

    def changes_of(self, service: str) -> list[dict[str, Any]]:
        return [c for c in self.changes if c["change"]["service"] == service]

    def k8s_reasons(self, service: str) -> list[str]:
        reasons = [r for pod in self.pods.get(service, []) for r in pod.get("reasons", [])]
        reasons += [event_reason(e) for e in self.events.get(service, []) if e.get("type", "Warning") != "Normal"]
        return [r for r in reasons if r]


def build_view(calls: list[dict[str, Any]]) -> EvidenceView:
    view = EvidenceView()
    for call in calls:
        if call.get("status") not in ("ok", "no_data"):
            continue
        tool, data = call["tool"], call.get("data")
        if tool == "rank_anomalies" and view.anomaly_call is None:
            view.anomaly_call = call["id"]
            for item in _items(data):
                view.services[str(item["service"])] = item
                view.ranked.append(str(item["service"]))
        elif tool == "correlate_changes" and view.change_call is None:
            view.change_call = call["id"]
            view.changes = _items(data)
        elif tool == "log_template_spikes" and view.spike_call is None:
            view.spike_call = call["id"]
            for spike in _items(data):
                view.spikes[str(spike["service"])].append(spike)
        elif tool == "k8s_pods" and view.pod_call is None:
            view.pod_call = call["id"]
            for pod in _items(data):
                view.pods[str(pod.get("service", ""))].append(pod)
        elif tool == "k8s_events" and view.event_call is None:
            view.event_call = call["id"]
            for event in _items(data):
                view.events[str(event.get("service", ""))].append(event)
        elif tool == "k8s_nodes" and view.node_call is None:
            view.node_call = call["id"]
            view.nodes = _items(data)
        elif tool == "firing_alerts":
            view.alerts = _items(data)
    return view
