"""``/andon declare``: a dedicated incident channel — created, responders invited, topic set, the best
runbook and the incident thread bookmarked — and the investigation started in it."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from bot.intake import incident_from_trigger
from bot.slack.blocks import notice, runbook_results
from bot.slack.blocks.kit import mention, untrusted
from bot.slack.services import Services

if TYPE_CHECKING:
    from bot.slack.conversations import Conversations

__all__ = ["declare_incident", "channel_name"]


def channel_name(title: str, now: float) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:50].strip("-") or "incident"
    return f"inc-{time.strftime('%Y%m%d', time.gmtime(now))}-{slug}"


def declare_incident(services: Services, conversations: Conversations, title: str, user: str) -> str:
    """Open the channel and the incident in it; return the channel id."""
    from bot.slack.conversations import slack_incident_id

    trigger = {"text": title, "user": user}
    incident = incident_from_trigger(trigger, now=services.clock(), known_services=services.sources.services)
    responders = [user] + [a for a in services.policy.approvers if a[:1] in ("U", "W") and a != user]
    topic = f":rotating_light: {incident.title} · severity {incident.severity} · status investigating"
    channel = services.workspace.open_channel(channel_name(title, time.time()), topic, responders)
    root = services.workspace.post(channel, notice(f":rotating_light: Incident declared by {mention(user)}: "
                                                   f"*{untrusted(incident.title)}*", "Responders invited; I'm investigating "
                                                                          "in this thread."))
    hits = services.kb.search(title, k=1, kind="runbook") if services.kb is not None else []
    if hits:
        hit = hits[0].to_dict()
        runbook_ts = services.workspace.post(channel, runbook_results(title, [hit]))
        link = hit["path"] if str(hit.get("path", "")).startswith("http") else services.workspace.permalink(
            channel, runbook_ts)
        services.workspace.bookmark(channel, f"Runbook: {hit['title']}", link)
    services.workspace.bookmark(channel, "Incident thread", services.workspace.permalink(channel, root))
    conversations.open_incident(trigger, channel, root, slack_incident_id(channel, root), opened_by=user)
    return channel
