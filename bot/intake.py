"""Normalise any trigger — free text, a Slack message, an Alertmanager webhook, a PagerDuty or Grafana
payload — into one :class:`Incident`."""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any, Literal

from bot.models import Incident
from bot.reported_time import when_it_began
from tools.sources.profiles import workload_of
from tools.sources.timespec import parse_instant

__all__ = ["incident_from_trigger", "IntakeError", "incident_id"]

_SERVICE_LABELS = (
    "service",
    "service_name",
    "app",
    "app_kubernetes_io_name",
    "deployment",
    "statefulset",
    "daemonset",
    "container",
    "component",
    "pod",
    "job",
)
"""Where an alert names its service, most specific first. ``job`` comes last: in kube-prometheus rules it
is the scrape job (kube-state-metrics, node-exporter), not the workload; a pod names its workload."""
_SEVERITY_WORDS = {
    "critical": "critical",
    "sev1": "critical",
    "p1": "critical",
    "page": "critical",
    "warning": "warning",
    "sev2": "warning",
    "p2": "warning",
    "info": "info",
}


class IntakeError(ValueError):
    """A trigger that cannot become an incident; the message says what is wrong."""


def incident_id(seed: str) -> str:
    return "inc-" + hashlib.sha256(seed.encode()).hexdigest()[:10]


def _time(value: Any, default: float) -> float:
    if value in (None, "", "0001-01-01T00:00:00Z"):
        return default
    try:
        return parse_instant(value)
    except ValueError:
        return default


def _services_from_labels(labels: dict[str, str]) -> list[str]:
    out = []
    for key in _SERVICE_LABELS:
        value = labels.get(key)
        if value and value not in out:
            out.append(workload_of(value) if key == "pod" else value)
            break
    return out


def _services_in_text(text: str, known: list[str]) -> list[str]:
    lowered = text.lower()
    found = [
        (lowered.find(s.lower()), s) for s in known if re.search(rf"(?<![\w-]){re.escape(s.lower())}(?![\w-])", lowered)
    ]
    return [s for _, s in sorted(found)]


def _mapping(value: Any, name: str) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise IntakeError(f"Alertmanager payload's {name} must be an object of strings")
    return {str(k): str(v) for k, v in value.items()}


def _from_alertmanager(payload: dict[str, Any], now: float) -> Incident:
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise IntakeError("Alertmanager payload has no 'alerts' list")
    firing = [a for a in alerts if isinstance(a, dict) and a.get("status", "firing") == "firing"] or [
        a for a in alerts if isinstance(a, dict)
    ]
    if not firing:
        raise IntakeError("Alertmanager payload's alerts are not objects")
    common = _mapping(payload.get("commonLabels"), "commonLabels")
    first = firing[0]
    labels = {**_mapping(first.get("labels"), "labels"), **common}
    annotations = {
        **_mapping(first.get("annotations"), "annotations"),
        **_mapping(payload.get("commonAnnotations"), "commonAnnotations"),
    }
    services: list[str] = []
    for alert in firing:
        for service in _services_from_labels(_mapping(alert.get("labels"), "labels")):
            if service not in services:
                services.append(service)
    alertname = labels.get("alertname")
    started = min(_time(a.get("startsAt"), now) for a in firing)
    summary = annotations.get("summary") or annotations.get("description") or ""
    title = f"{alertname or 'Alert'}: {summary}".strip(": ") if summary else (alertname or "Alert")
    text = " ".join(
        [alertname or "", summary, annotations.get("description", ""), " ".join(f"{k}={v}" for k, v in labels.items())]
    )
    status: Literal["firing", "resolved"] = "resolved" if payload.get("status") == "resolved" else "firing"
    group_key = str(payload.get("groupKey") or f"{alertname}:{','.join(services)}")
    return Incident(
        id=incident_id(group_key + str(int(started // 60))),
        title=title[:200],
        services=services,
        severity=_SEVERITY_WORDS.get(labels.get("severity", "").lower(), "warning"),
        started_at=started,
        labels=labels,
        alertname=alertname,
        source="alertmanager",
        status=status,
        group_key=group_key,
        text=text.strip(),
        raw=payload,
    )


def _from_pagerduty(payload: dict[str, Any], now: float) -> Incident:
    event = payload.get("event") or payload
    if not isinstance(event, dict):
        raise IntakeError("PagerDuty payload's 'event' must be an object")
    data = event.get("data") or event.get("payload") or {}
    if not isinstance(data, dict):
        raise IntakeError("PagerDuty event's 'data' must be an object")
    title = str(data.get("title") or data.get("summary") or event.get("summary") or "PagerDuty incident")
    service_obj = data.get("service") or {}
    service = service_obj.get("summary") if isinstance(service_obj, dict) else str(service_obj or "")
    source = str(data.get("source") or (data.get("custom_details") or {}).get("service", "") or "")
    services = [s for s in (service, source) if s][:1]
    started = _time(data.get("created_at") or event.get("occurred_at") or data.get("timestamp"), now)
    resolved = str(event.get("event_type") or "").endswith(".resolved") or data.get("status") == "resolved"
    key = f"pagerduty:{data['id']}" if data.get("id") else None  # the events of one PagerDuty incident share it
    return Incident(
        id=incident_id(str(data.get("id") or title) + ("" if key else str(int(started)))),
        title=title[:200],
        services=services,
        severity=_SEVERITY_WORDS.get(str(data.get("urgency") or data.get("severity") or "").lower(), "warning"),
        started_at=started,
        labels={},
        source="pagerduty",
        text=title,
        raw=payload,
        group_key=key,
        status="resolved" if resolved else "firing",
    )


OPSGENIE_ACTIONS = {"Create": "firing", "Close": "resolved"}
"""The Opsgenie webhook actions that open or close an incident; the others (Acknowledge, AddNote…) do neither."""


def is_opsgenie(payload: dict[str, Any]) -> bool:
    return isinstance(payload.get("alert"), dict) and ("action" in payload or "integrationType" in payload)


def _from_opsgenie(payload: dict[str, Any], now: float) -> Incident:
    """An Opsgenie outgoing-webhook event: ``alert`` (message, entity, tags, details, priority, createdAt in
    ms) and ``action`` (Create, Close, …)."""
    alert = payload["alert"]
    details = _mapping(alert.get("details"), "alert.details")
    tags = [str(t) for t in alert.get("tags") or [] if isinstance(t, str | int)]
    labels = {**details, **dict(t.split(":", 1) for t in tags if ":" in t)}
    entity = str(alert.get("entity") or "")
    services = _services_from_labels(labels) or ([entity] if entity else [])
    title = str(alert.get("message") or "Opsgenie alert")
    created = alert.get("createdAt")
    started = float(created) / 1000 if isinstance(created, int | float) and created > 1e11 else _time(created, now)
    key = f"opsgenie:{alert.get('alertId') or alert.get('alias') or title}"
    status: Literal["firing", "resolved"] = (
        "resolved" if OPSGENIE_ACTIONS.get(str(payload.get("action"))) == "resolved" else "firing"
    )
    return Incident(
        id=incident_id(key),
        title=title[:200],
        services=services,
        severity=_SEVERITY_WORDS.get(str(alert.get("priority") or "").lower(), "warning"),
        started_at=started,
        labels=labels,
        source="opsgenie",
        status=status,
        group_key=key,
        text=" ".join([title, str(alert.get("description") or ""), " ".join(tags)]).strip(),
        raw=payload,
    )


def _from_text(text: str, now: float, known: list[str], source: str) -> Incident:
    if not text.strip():
        raise IntakeError("empty message: describe the problem (what, which service, since when)")
    clean = re.sub(r"<@[A-Z0-9]+>", "", text).strip()
    alert = re.search(r"\b([A-Z][a-z]+(?:[A-Z][a-zA-Z0-9]+)+)\b", clean)
    labels = dict(re.findall(r"\b(service|job|app|severity|namespace|pod)=\"?([\w.-]+)\"?", clean))
    services = _services_from_labels(labels) or _services_in_text(clean, known)
    when = when_it_began(clean, now)
    return Incident(
        id=incident_id(clean + str(int(now // 60))),
        title=clean.splitlines()[0][:200],
        services=services,
        severity=next((v for k, v in _SEVERITY_WORDS.items() if re.search(rf"\b{k}\b", clean.lower())), "warning"),
        started_at=when.started_at,
        onset_within_s=when.within_s,
        labels=labels,
        alertname=alert.group(1) if alert else None,
        source=source,
        text=clean,
        raw=text,
    )


def incident_from_trigger(trigger: Any, now: float | None = None, known_services: list[str] | None = None) -> Incident:
    """One :class:`Incident` from whatever arrived. Raises :class:`IntakeError` naming the problem."""
    now = time.time() if now is None else now
    known = known_services or []
    if isinstance(trigger, str):
        return _from_text(trigger, now, known, "text")
    if not isinstance(trigger, dict):
        raise IntakeError(f"unsupported trigger type {type(trigger).__name__}: send text or a JSON object")
    if "alerts" in trigger:
        incident = _from_alertmanager(trigger, now)
    elif is_opsgenie(trigger):
        incident = _from_opsgenie(trigger, now)
    elif "event" in trigger or "messages" in trigger or trigger.get("routing_key") or "incident" in trigger:
        incident = _from_pagerduty(trigger.get("incident") and {"event": {"data": trigger["incident"]}} or trigger, now)
    elif "text" in trigger:
        incident = _from_text(
            str(trigger["text"]),
            _time(trigger.get("ts"), now),
            known,
            "slack" if "channel" in trigger or "user" in trigger else "text",
        )
    elif "title" in trigger and ("state" in trigger or "ruleName" in trigger or "evalMatches" in trigger):
        text = f"{trigger.get('ruleName') or trigger['title']} {trigger.get('message', '')}"
        incident = _from_text(text, now, known, "grafana")
    else:
        raise IntakeError(
            "unrecognised payload: expected an Alertmanager webhook ('alerts'), a PagerDuty event "
            "('event'), an Opsgenie webhook ('alert' + 'action'), a Slack message ('text') "
            "or a Grafana alert ('title' + 'state')"
        )
    if not incident.services and known:
        incident.services = _services_in_text(incident.text or incident.title, known)
    return incident
