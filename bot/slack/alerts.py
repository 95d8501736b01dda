"""The alert webhook receiver (Alertmanager, Grafana, PagerDuty): a new alert group opens an incident thread in the first incident
channel and is investigated; repeats of the same group attach to the open incident; a resolved
notification marks it mitigated (people resolve it with ``/andon resolve`` so Andon learns)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.intake import IntakeError, incident_from_trigger
from bot.slack.blocks import alert_message, notice
from bot.slack.conversations import Conversations
from bot.slack.services import Services

__all__ = ["AlertIntake"]


def _fingerprint(payload: dict[str, Any]) -> str:
    alerts = sorted((str(a.get("fingerprint") or json.dumps(a.get("labels"), sort_keys=True)), str(a.get("status")))
                    for a in payload.get("alerts") or [] if isinstance(a, dict))
    event = payload.get("event")
    event = event if isinstance(event, dict) else {}
    return hashlib.sha256(json.dumps([payload.get("status"), alerts, str(event.get("id") or "")]).encode()).hexdigest()[:16]


class AlertIntake:
    def __init__(self, services: Services, conversations: Conversations) -> None:
        self.s = services
        self.conversations = conversations

    def receive(self, payload: Any) -> tuple[int, dict[str, Any]]:
        """Handle one webhook; returns the HTTP status and a JSON body. Slow work goes to the worker pool."""
        if not isinstance(payload, dict) or ("alerts" not in payload and not isinstance(payload.get("event"), dict)):
            return 400, {"error": "expected an Alertmanager or Grafana webhook payload (an object with 'alerts') "
                                  "or a PagerDuty webhook event (an object with 'event')"}
        try:
            incident = incident_from_trigger(payload, now=self.s.clock(), known_services=self.s.sources.services)
        except IntakeError as exc:
            return 400, {"error": str(exc)}
        store = self.s.store
        existing = store.find_open_by_group(incident.group_key or "")
        if existing is not None:
            return self._attach(existing, payload, resolved=incident.status == "resolved")
        if incident.status == "resolved":
            return 200, {"status": "ignored", "reason": "no open incident for this alert group"}
        channel = next((c for c in map(self.s.workspace.channel_id, self.s.settings.incident_channels) if c), None)
        if channel is None:
            return 503, {"error": "no incident channel: set ANDON_INCIDENT_CHANNELS to post alert incidents"}
        if not store.first_time(f"alert:open:{incident.id}", incident.id):
            return 200, {"incident": incident.id, "status": "attached"}  # a concurrent delivery opened it
        data = incident.model_dump(mode="json", exclude={"raw"})
        store.upsert_incident(data, channel=channel)  # at once, so repeats find it while the thread is posted
        store.first_time(f"alert:seen:{incident.id}:{_fingerprint(payload)}")  # identical repeats stay quiet
        self.s.submit(self._open, payload, data, channel)
        return 202, {"incident": incident.id, "status": "opened"}

    def _open(self, payload: dict[str, Any], incident: dict[str, Any], channel: str) -> None:
        root = self.s.workspace.post(channel, alert_message(incident))
        self.conversations.open_incident(payload, channel, root, incident["id"])

    def _attach(self, incident: dict[str, Any], payload: dict[str, Any], resolved: bool) -> tuple[int, dict[str, Any]]:
        store = self.s.store
        count = len(payload.get("alerts") or [])
        if resolved:
            store.set_status(incident["id"], "mitigated")
            store.note(incident["id"], "alert", f"alert resolved ({count} alert(s))")
            text = (":large_green_circle: The alert resolved; the incident is now *mitigated*. Record the cause and "
                    "fix with `/andon resolve <summary>` so I learn from it.")
        else:
            store.note(incident["id"], "alert", f"alert group fired again ({count} alert(s))")
            text = f":repeat: The alert group fired again ({count} alert(s)); attached to this incident."
        status = "mitigated" if resolved else "attached"
        if incident.get("thread_ts") and store.first_time(f"alert:seen:{incident['id']}:{_fingerprint(payload)}"):
            self.s.submit(self.s.workspace.post, incident["channel"], notice(text), None, incident["thread_ts"])
        return 200, {"incident": incident["id"], "status": status}
