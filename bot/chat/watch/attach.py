"""Attach-on-alert: a real alert for a service whose early warning is still alive joins the warning's thread
instead of opening a new one. The incident starts at the warning (MTTR counts from it) and keeps the lead
time: seconds from the warning's card to the page. If someone already opened an investigation from the
warning ("Investigate now"), the alert attaches to that incident; otherwise it opens its incident in the
warning's thread, through the same steps as any alert."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from bot.chat.blocks import alert_message, notice
from bot.chat.conversations import Conversations
from bot.chat.deps import ChatDeps
from bot.models import Incident
from bot.watch.params import watch_params
from bot.watch.state import WarningThread, WatchState
from tools.redaction import redacted_excerpt

__all__ = ["attach_to_warning", "warning_thread_for"]

log = logging.getLogger(__name__)
Answer = tuple[int, dict[str, Any]]


def warning_thread_for(deps: ChatDeps, incident: Incident) -> WarningThread | None:
    """The oldest live warning thread of one of the incident's services, if any (never raises)."""
    try:
        state, grace = WatchState(deps.store.db), watch_params(deps.settings).attach_grace_s
        now = deps.clock()
        for service in incident.services:
            threads = state.threads_of(service, now, grace)
            if threads:
                return threads[0]
    except Exception:  # noqa: BLE001 — a watch that cannot answer leaves the alert to its usual path
        log.warning("could not look for an early warning of %s", incident.services, exc_info=True)
    return None


def attach_to_warning(
    deps: ChatDeps,
    conversations: Conversations,
    incident: Incident,
    payload: dict[str, Any],
    fingerprint: str,
    wall_clock: Callable[[], float] = time.time,
) -> Answer | None:
    """Route a firing alert into its service's early-warning thread; None when there is none (the alert
    takes its usual path)."""
    if incident.status != "firing":
        return None
    thread = warning_thread_for(deps, incident)
    if thread is None:
        return None
    store = deps.store
    lead = round(wall_clock() - thread.posted_at, 3)
    name = incident.alertname or "the alert"
    existing = store.find_by_thread(thread.channel, thread.ts)
    if existing is not None and existing["status"] == "resolved":
        return None  # people closed what the warning opened: a new alert is a new incident
    if existing is not None:
        store.record_lead(existing["id"], thread.posted_at, lead, group_key=incident.group_key)
        store.note(existing["id"], "alert", f"{name} fired {lead:.0f} s after the early warning; attached")
        if store.first_time(f"alert:seen:{existing['id']}:{fingerprint}"):
            text = (
                f":rotating_light: The alert *{name}* fired, {lead:.0f} s after this early warning; it joins "
                "this incident."
            )
            deps.submit(deps.workspace.post, thread.channel, notice(text), None, thread.ts)
        return 200, {
            "incident": existing["id"],
            "status": "attached",
            "early_warning": thread.key,
            "early_warning_lead_s": lead,
        }
    if not store.first_time(f"alert:open:{incident.id}", incident.id):
        return 200, {"incident": incident.id, "status": "attached"}  # a concurrent delivery opened it
    data = incident.model_dump(mode="json", exclude={"raw"})
    store.upsert_incident(data, channel=thread.channel, thread_ts=thread.ts)
    store.record_lead(incident.id, thread.posted_at, lead)
    store.audit(
        incident.id,
        "accepted",
        None,
        redacted_excerpt(payload),
        f"alert accepted into the early warning's thread ({thread.key}, {lead:.0f} s after it)",
    )
    store.first_time(f"alert:seen:{incident.id}:{fingerprint}")
    deps.submit(_open_in_thread, deps, conversations, payload, data, thread)
    return 202, {"incident": incident.id, "status": "opened", "early_warning": thread.key, "early_warning_lead_s": lead}


def _open_in_thread(
    deps: ChatDeps,
    conversations: Conversations,
    payload: dict[str, Any],
    incident: dict[str, Any],
    thread: WarningThread,
) -> None:
    deps.workspace.post(thread.channel, alert_message(incident), thread_ts=thread.ts)
    conversations.open_incident(payload, thread.channel, thread.ts, incident["id"])
