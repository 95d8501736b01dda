"""Every Slack event, command and action Andon listens to — registered here, in one place."""

from __future__ import annotations

from slack_bolt import App

from bot.chat.blocks.warning import WatchActionId
from bot.chat.desk import Desk
from bot.chat.ids import ActionId
from bot.slack import handlers
from bot.slack.watch.handlers import on_warning_click

__all__ = ["register_listeners"]


def register_listeners(app: App, desk: Desk) -> None:
    app.event("app_mention")(handlers.on_mention(desk))
    app.event("message")(handlers.on_message(desk))
    app.command("/andon")(handlers.on_command(desk))
    app.action(ActionId.APPROVE.value)(handlers.on_decision(desk, "approve"))
    app.action(ActionId.REJECT.value)(handlers.on_decision(desk, "reject"))
    app.action(WatchActionId.INVESTIGATE.value)(on_warning_click(desk, "investigate"))
    app.action(WatchActionId.SILENCE.value)(on_warning_click(desk, "silence"))
    app.action(WatchActionId.DISMISS.value)(on_warning_click(desk, "dismiss"))
