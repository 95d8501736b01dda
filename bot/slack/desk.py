"""The desk: Andon's chat behaviour — conversations, approvals, slash commands and alert intake — over
one set of services. Slack (``app.py``) and the console (``andon chat``) both drive a Desk."""

from __future__ import annotations

from bot.slack.alerts import AlertIntake
from bot.slack.approvals import Approvals
from bot.slack.commands import Commands
from bot.slack.conversations import Conversations
from bot.slack.services import Services

__all__ = ["Desk"]


class Desk:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.approvals = Approvals(services)
        self.conversations = Conversations(services, self.approvals)
        self.commands = Commands(services, self.conversations)
        self.alerts = AlertIntake(services, self.conversations)
