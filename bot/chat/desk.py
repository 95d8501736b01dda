"""The desk: Andon's chat behaviour — conversations, approvals, slash commands and alert intake — over
one set of dependencies (:class:`~bot.chat.deps.ChatDeps`). Every channel drives a Desk: Slack
(``bot.slack.handlers``) and the console (``andon chat``, ``bot.cli.console``)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.chat.alerts import AlertIntake
from bot.chat.approvals import Approvals
from bot.chat.blocks import Block
from bot.chat.commands import Commands
from bot.chat.conversations import Conversations, InboundMessage
from bot.chat.deps import ChatDeps
from bot.chat.jobs import Jobs

__all__ = ["Desk"]

log = logging.getLogger(__name__)
INBOUND_WORKERS = 8
"""Threads that take in chat messages (dedupe, open the incident, post its first reply) and finish clicks
(update the card, resume) once Slack has its answer; in the worker process, the threads that run messages."""
MESSAGE_JOB = "message"
"""The job kind of a chat message taken in by the worker process."""


class Desk:
    def __init__(self, deps: ChatDeps, responder: Callable[[str], Callable[[list[Block]], None]] | None = None) -> None:
        """``responder`` answers through a slash command's response_url (for work resumed after a restart)."""
        self.deps = deps
        self.approvals = Approvals(deps)
        self.conversations = Conversations(deps, self.approvals)
        self.commands = Commands(deps, self.conversations, responder)
        self.alerts = AlertIntake(deps, self.conversations)
        self.messages = Jobs(deps)
        """Chat messages as durable jobs, once handed to the worker process (``bot.chat.handoff``)."""
        self.messages.register(MESSAGE_JOB, self._receive_job)
        self._inbound = ThreadPoolExecutor(max_workers=INBOUND_WORKERS, thread_name_prefix="andon-inbound")

    def finish_unfinished(self) -> None:
        """Carry out what a crashed process accepted but never finished: decisions, slash-command work and
        chat messages handed to the worker process."""
        self.approvals.recover()
        self.commands.jobs.recover()
        self.messages.recover()

    def receive_later(self, message: InboundMessage) -> None:
        """Take ``message`` in off the acknowledging thread. Once messages are handed to the worker process,
        it is written as a job (before Slack is answered: a crash loses no message) and taken in there;
        otherwise it is taken in on the desk's own threads, so Bolt's threads stay free to acknowledge
        slash commands and clicks within Slack's 3 s while a burst of messages opens incidents."""
        if self.messages.elsewhere:
            if self.conversations.concerns(message):
                self.messages.accept(MESSAGE_JOB, dataclasses.asdict(message))
            return

        def receive() -> None:
            try:
                self.conversations.receive(message)
            except Exception:
                log.exception("could not take in message %s in %s", message.ts, message.channel)

        self._inbound.submit(receive)

    def after_ack(self, work: Callable[..., Any], *args: Any) -> None:
        """Run what follows an acknowledgement (a click's card update and resumption) on the desk's own
        threads: not on the worker pool, where it would wait behind running investigations."""

        def run() -> None:
            try:
                work(*args)
            except Exception:
                log.exception("could not finish %s", getattr(work, "__name__", work))

        self._inbound.submit(run)

    def _receive_job(self, payload: dict[str, Any], context: Any) -> None:
        self.conversations.receive(InboundMessage(**payload))
