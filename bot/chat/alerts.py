"""The alert webhook receiver (Alertmanager, Grafana, PagerDuty): a new alert group opens an incident thread in the
first incident
channel and is investigated; repeats of the same group attach to the open incident; a resolved
notification marks it mitigated (people resolve it with ``/andon resolve`` so Andon learns)."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from bot.chat.blocks import alert_message, notice
from bot.chat.conversations import Conversations
from bot.chat.deps import ChatDeps
from bot.chat.watch.attach import attach_to_warning
from bot.intake import OPSGENIE_ACTIONS, IntakeError, incident_from_trigger, is_opsgenie
from tools.redaction import redacted_excerpt

__all__ = ["AlertIntake"]


def _fingerprint(payload: dict[str, Any]) -> str:
    alerts = sorted(
        (str(a.get("fingerprint") or json.dumps(a.get("labels"), sort_keys=True)), str(a.get("status")))
        for a in payload.get("alerts") or []
        if isinstance(a, dict)
    )
    event = payload.get("event")
    event = event if isinstance(event, dict) else {}
    return hashlib.sha256(json.dumps([payload.get("status"), alerts, str(event.get("id") or "")]).encode()).hexdigest()[
        :16
    ]


RECOVER_WITHIN_S = 3600.0
"""Alerts accepted this recently and left unfinished by a crash are resumed at start-up; older ones are
stale (the alert has fired again, or people have taken over)."""


class AlertIntake:
    def __init__(self, deps: ChatDeps, conversations: Conversations) -> None:
        self.deps = deps
        self.conversations = conversations

    def receive(self, payload: Any) -> tuple[int, dict[str, Any]]:
        """Handle one webhook; returns the HTTP status and a JSON body. Slow work goes to the worker pool."""
        if not isinstance(payload, dict) or (
            "alerts" not in payload and not isinstance(payload.get("event"), dict) and not is_opsgenie(payload)
        ):
            return 400, {
                "error": "expected an Alertmanager or Grafana webhook payload (an object with 'alerts'), "
                "a PagerDuty webhook event (an object with 'event') or an Opsgenie webhook "
                "(an object with 'alert' and 'action')"
            }
        if is_opsgenie(payload) and str(payload.get("action")) not in OPSGENIE_ACTIONS:
            return 200, {
                "status": "ignored",
                "reason": f"Opsgenie action {payload.get('action')!r} neither opens nor closes an incident",
            }
        try:
            incident = incident_from_trigger(payload, now=self.deps.clock(), known_services=self.deps.sources.services)
        except IntakeError as exc:
            return 400, {"error": str(exc)}
        store = self.deps.store
        existing = store.find_open_by_group(incident.group_key or "")
        if existing is not None:
            return self._attach(existing, payload, resolved=incident.status == "resolved")
        if incident.status == "resolved":
            return 200, {"status": "ignored", "reason": "no open incident for this alert group"}
        warned = attach_to_warning(self.deps, self.conversations, incident, payload, _fingerprint(payload))
        if warned is not None:  # the watch saw it coming: the alert joins the early warning's thread
            return warned
        channel = next(
            (c for c in map(self.deps.workspace.channel_id, self.deps.settings.incident_channels) if c), None
        )
        if channel is None:
            return 503, {"error": "no incident channel: set ANDON_INCIDENT_CHANNELS to post alert incidents"}
        if not store.first_time(f"alert:open:{incident.id}", incident.id):
            return 200, {"incident": incident.id, "status": "attached"}  # a concurrent delivery opened it
        data = incident.model_dump(mode="json", exclude={"raw"})
        store.upsert_incident(data, channel=channel)  # at once, so repeats find it while the thread is posted
        # written before the 202: if the process dies before the thread is posted, the next start resumes it
        store.audit(incident.id, "accepted", None, redacted_excerpt(payload), "alert accepted; investigation queued")
        store.first_time(f"alert:seen:{incident.id}:{_fingerprint(payload)}")  # identical repeats stay quiet
        self.deps.submit(self._open, payload, data, channel)
        return 202, {"incident": incident.id, "status": "opened"}

    def recover(self, max_age_s: float = RECOVER_WITHIN_S) -> list[str]:
        """Resume alerts accepted before a crash: a thread never posted is posted and investigated; a thread
        whose investigation never finished (and waits for no decision) is investigated again. Each incident
        is resumed once, by one replica. Returns the incidents resumed."""
        store, now = self.deps.store, time.time()
        resumed = []
        for row in store.list("investigating", limit=200):
            if row["report"] is not None or float(row["created_at"]) < now - max_age_s or not row["channel"]:
                continue
            accepted = [e for e in store.audit_log(row["id"]) if e["event"] == "accepted" and e["args"]]
            if not accepted or (row["thread_ts"] and self.deps.investigator().pending(row["id"])):
                continue
            if not store.first_time(f"alert:recover:{row['id']}", row["id"]):
                continue
            payload = accepted[-1]["args"]
            try:
                incident = incident_from_trigger(
                    payload, now=self.deps.clock(), known_services=self.deps.sources.services
                )
            except IntakeError:
                continue
            incident.id = row["id"]
            data = incident.model_dump(mode="json", exclude={"raw"})
            progress = store.message(row["id"], "progress")
            if not row["thread_ts"]:
                self.deps.submit(self._open, payload, data, row["channel"])
            elif progress is not None:
                self.deps.submit(
                    self.conversations.investigate, data, payload, row["channel"], row["thread_ts"], progress[1]
                )
            else:  # the thread was posted, its acknowledgement not yet
                self.deps.submit(self.conversations.open_incident, payload, row["channel"], row["thread_ts"], row["id"])
            store.note(row["id"], "resumed", "investigation resumed after a restart")
            resumed.append(row["id"])
        return resumed

    def _open(self, payload: dict[str, Any], incident: dict[str, Any], channel: str) -> None:
        root = self.deps.workspace.post(channel, alert_message(incident))
        self.conversations.open_incident(payload, channel, root, incident["id"])

    def _attach(self, incident: dict[str, Any], payload: dict[str, Any], resolved: bool) -> tuple[int, dict[str, Any]]:
        store = self.deps.store
        count = len(payload.get("alerts") or [])
        if resolved:
            store.set_status(incident["id"], "mitigated")
            store.note(incident["id"], "alert", f"alert resolved ({count} alert(s))")
            text = (
                ":large_green_circle: The alert resolved; the incident is now *mitigated*. Record the cause and "
                "fix with `/andon resolve <summary>` so I learn from it."
            )
        else:
            store.note(incident["id"], "alert", f"alert group fired again ({count} alert(s))")
            text = f":repeat: The alert group fired again ({count} alert(s)); attached to this incident."
        status = "mitigated" if resolved else "attached"
        if incident.get("thread_ts") and store.first_time(f"alert:seen:{incident['id']}:{_fingerprint(payload)}"):
            self.deps.submit(self.deps.workspace.post, incident["channel"], notice(text), None, incident["thread_ts"])
        return 200, {"incident": incident["id"], "status": status}
