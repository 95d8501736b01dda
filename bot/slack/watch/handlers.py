"""Bolt handlers for the buttons on a warning's card: record what must last, ``ack()``, then do the rest on the
worker pool (opening an investigation posts to Slack; the acknowledgement must not wait for it)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack

from bot.chat.desk import Desk
from bot.chat.watch.actions import Choice, WarningActions, WarningClick

__all__ = ["on_warning_click"]

log = logging.getLogger(__name__)


def on_warning_click(desk: Desk, choice: Choice) -> Callable[..., None]:
    actions = WarningActions(desk.deps, desk.conversations)

    def handle(ack: Ack, body: dict[str, Any]) -> None:
        try:
            key = str(body["actions"][0].get("value") or "")
            user = str(body["user"]["id"])
        except (KeyError, IndexError, TypeError, AttributeError):
            key, user = "", ""
        container = body.get("container") or {}
        channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        message_ts = str(container.get("message_ts") or (body.get("message") or {}).get("ts") or "")
        if not (key and user and channel and message_ts):
            ack()
            log.warning("ignoring a warning click without its key, user, channel or message")
            return
        click = WarningClick(key=key, choice=choice, user=user, channel=channel, message_ts=message_ts)
        try:
            result = actions.record(click)  # durable before Slack hears back: a crash loses no dismissal
        except Exception:
            ack()
            log.exception("could not record a %s click on %s", choice, key)
            return
        ack()
        desk.deps.submit(actions.follow_up, click, result)

    return handle
