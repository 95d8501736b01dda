"""The desk: Andon's chat behaviour — conversations, approvals, slash commands and alert intake — over
one set of services. Slack (``app.py``) and the console (``andon chat``) both drive a Desk."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bot.slack.alerts import AlertIntake
from bot.slack.approvals import Approvals
from bot.slack.blocks import Block
from bot.slack.commands import Commands
from bot.slack.conversations import Conversations, InboundMessage
from bot.slack.services import Services

__all__ = ["Desk"]

log = logging.getLogger(__name__)
INBOUND_WORKERS = 8
"""Threads that take in chat messages (dedupe, open the incident, post its first reply) after Bolt acked them."""


class Desk:
    def __init__(self, services: Services,
                 responder: Callable[[str], Callable[[list[Block]], None]] | None = None) -> None:
        """``responder`` answers through a slash command's response_url (for work resumed after a restart)."""
        self.services = services
        self.approvals = Approvals(services)
        self.conversations = Conversations(services, self.approvals)
        self.commands = Commands(services, self.conversations, responder)
        self.alerts = AlertIntake(services, self.conversations)
        self._inbound = ThreadPoolExecutor(max_workers=INBOUND_WORKERS, thread_name_prefix="andon-inbound")

    def finish_unfinished(self) -> None:
        """Carry out what a crashed process accepted but never finished: decisions and slash-command work."""
        self.approvals.recover()
        self.commands.jobs.recover()

    def receive_later(self, message: InboundMessage) -> None:
        """Take ``message`` in on the desk's own threads, so Bolt's listener threads stay free to acknowledge
        slash commands and clicks within Slack's 3 s while a burst of messages opens incidents."""
        def receive() -> None:
            try:
                self.conversations.receive(message)
            except Exception:
                log.exception("could not take in message %s in %s", message.ts, message.channel)

        self._inbound.submit(receive)
