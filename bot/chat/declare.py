"""``/andon declare``: a dedicated incident channel — created, responders invited, topic set, the best
runbook and the incident thread bookmarked — and the investigation started in it."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from bot.chat.blocks import notice, runbook_results
from bot.chat.blocks.kit import mention, untrusted
from bot.chat.deps import ChatDeps
from bot.intake import incident_from_trigger

if TYPE_CHECKING:
    from bot.chat.conversations import Conversations

__all__ = ["declare_incident", "channel_name"]


def channel_name(title: str, now: float) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:50].strip("-") or "incident"
    return f"inc-{time.strftime('%Y%m%d', time.gmtime(now))}-{slug}"


def declare_incident(deps: ChatDeps, conversations: Conversations, title: str, user: str) -> str:
    """Open the channel and the incident in it; return the channel id."""
    from bot.chat.conversations import thread_incident_id

    trigger = {"text": title, "user": user}
    incident = incident_from_trigger(trigger, now=deps.clock(), known_services=deps.sources.services)
    responders = [user] + [a for a in deps.policy.approvers if a[:1] in ("U", "W") and a != user]
    topic = f":rotating_light: {incident.title} · severity {incident.severity} · status investigating"
    channel = deps.workspace.open_channel(channel_name(title, time.time()), topic, responders)
    root = deps.workspace.post(
        channel,
        notice(
            f":rotating_light: Incident declared by {mention(user)}: *{untrusted(incident.title)}*",
            "Responders invited; I'm investigating in this thread.",
        ),
    )
    hits = deps.kb.search(title, k=1, kind="runbook") if deps.kb is not None else []
    if hits:
        hit = hits[0].to_dict()
        runbook_ts = deps.workspace.post(channel, runbook_results(title, [hit]))
        link = (
            hit["path"]
            if str(hit.get("path", "")).startswith("http")
            else deps.workspace.permalink(channel, runbook_ts)
        )
        deps.workspace.bookmark(channel, f"Runbook: {hit['title']}", link)
    deps.workspace.bookmark(channel, "Incident thread", deps.workspace.permalink(channel, root))
    conversations.open_incident(trigger, channel, root, thread_incident_id(channel, root), opened_by=user)
    return channel
