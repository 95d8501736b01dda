"""Conversations: a message or mention opens an incident (ack within a second, one progress message, then
the RCA card and approval cards); replies in an incident's thread are questions to the agent.

Every delivery is deduplicated in the database on the Events API ``event_id`` and on the message ``ts``,
so Slack's retries, the mention/message event pair and a second replica never investigate twice."""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, cast

from bot.agent.report import report_from_state
from bot.agent.state import InvestigationState
from bot.chat.answers import Answerer, looks_like_question
from bot.chat.approvals import Approvals
from bot.chat.blocks import ack_message, answer_message, notice, rca_card, verification_message
from bot.chat.charts import post_evidence_charts
from bot.chat.deps import ChatDeps
from bot.chat.learning import root_cause_text
from bot.chat.progress import ProgressReporter
from bot.intake import incident_from_trigger, incident_id
from bot.runtime import Outcome

__all__ = ["Conversations", "InboundMessage", "thread_incident_id"]

log = logging.getLogger(__name__)
_MENTION = re.compile(r"<@[A-Z0-9]+(\|[^>]*)?>")


def thread_incident_id(channel: str, thread_ts: str) -> str:
    """One incident per thread: its id follows from where it lives. (The ``slack:`` prefix is kept whatever
    the channel: it keeps the ids of existing incidents.)"""
    return incident_id(f"slack:{channel}:{thread_ts}")


@dataclass(frozen=True)
class InboundMessage:
    """A message as any front end delivers it."""

    channel: str
    ts: str
    text: str
    user: str | None = None
    thread_ts: str | None = None
    event_id: str | None = None
    mention: bool = False

    @property
    def in_thread(self) -> bool:
        return bool(self.thread_ts) and self.thread_ts != self.ts

    @property
    def root(self) -> str:
        return self.thread_ts or self.ts


class Conversations:
    def __init__(self, deps: ChatDeps, approvals: Approvals, answerer: Answerer | None = None) -> None:
        self.deps = deps
        self.approvals = approvals
        self.answerer = answerer or Answerer(deps.settings, deps.sources.services)
        self._channels: set[str] | None = None
        self._lock = threading.Lock()

    def incident_channels(self) -> set[str]:
        """The configured incident channels, as ids (names are resolved once)."""
        with self._lock:
            if self._channels is None:
                resolved = {self.deps.workspace.channel_id(c) for c in self.deps.settings.incident_channels}
                self._channels = {c for c in resolved if c}
            return self._channels

    def concerns(self, message: InboundMessage) -> bool:
        """Whether :meth:`receive` could do anything with ``message`` (a mention, a reply in an incident's
        thread, a message in an incident channel) — read only, for sparing the rest a job."""
        if message.mention:
            return True
        if message.in_thread:
            return self.deps.store.find_by_thread(message.channel, message.root) is not None
        return message.channel in self.incident_channels()

    def receive(self, message: InboundMessage) -> str:
        """Handle one message: ``opened``, ``answering``, ``noted``, ``duplicate`` or ``ignored``."""
        text = _MENTION.sub("", message.text or "").strip()
        incident = self.deps.store.find_by_thread(message.channel, message.root) if message.in_thread else None
        if (
            incident is None
            and not message.mention
            and (message.in_thread or message.channel not in self.incident_channels())
        ):
            return "ignored"
        if not self._first_delivery(message):
            return "duplicate"
        if incident is not None:
            if message.mention or looks_like_question(text):
                self.deps.submit(self.answer, incident["id"], text, message.channel, message.root, message.user)
                return "answering"
            self.deps.store.note(incident["id"], "message", text, message.user)
            return "noted"
        if not text:
            self.deps.workspace.post(
                message.channel,
                notice("Tell me what is wrong, e.g. “checkout 5xx since 10:02, started after deploy”."),
                thread_ts=message.root,
            )
            return "ignored"
        trigger = {"text": text, "channel": message.channel, "user": message.user}
        self.open_incident(
            trigger,
            message.channel,
            message.root,
            thread_incident_id(message.channel, message.root),
            opened_by=message.user,
        )
        return "opened"

    def _first_delivery(self, message: InboundMessage) -> bool:
        store = self.deps.store
        if message.event_id and not store.first_time(f"slack:event:{message.event_id}"):
            return False
        return store.first_time(f"slack:message:{message.channel}:{message.ts}")

    # ----- investigation -----
    def open_incident(
        self, trigger: Any, channel: str, thread_ts: str, incident_id: str, opened_by: str | None = None
    ) -> dict[str, Any]:
        """Record the incident, acknowledge it in its thread at once, and investigate on the worker pool."""
        incident = incident_from_trigger(trigger, now=self.deps.clock(), known_services=self.deps.sources.services)
        incident.id = incident_id
        data = incident.model_dump(mode="json", exclude={"raw"})
        # the thread's root may be our own post (an alert, /andon investigate): its message event must not
        # open a second incident even if it gets past Bolt's own-message filter
        self.deps.store.first_time(f"slack:message:{channel}:{thread_ts}")
        self.deps.store.upsert_incident(data, channel=channel, thread_ts=thread_ts)
        self.deps.store.note(incident_id, "opened", incident.title, opened_by)
        self.deps.metrics.incidents.labels(source=incident.source).inc()
        ts = self.deps.workspace.post(channel, ack_message(data), thread_ts=thread_ts)
        self.deps.store.remember_message(incident_id, "progress", channel, ts)
        self.deps.submit(self.investigate, data, trigger, channel, thread_ts, ts)
        return data

    def investigate(
        self, incident: dict[str, Any], trigger: Any, channel: str, thread_ts: str, progress_ts: str
    ) -> None:
        reporter = ProgressReporter(self.deps.workspace, channel, progress_ts, incident)
        started = time.monotonic()
        try:
            outcome = self.deps.investigator(progress=reporter).start(trigger, incident_id=incident["id"])
        except Exception as exc:
            log.exception("investigation of %s failed", incident["id"])
            reporter.fail(str(exc)[:300])
            self.deps.metrics.investigations.labels(outcome="error").inc()
            self.deps.store.note(incident["id"], "error", f"investigation failed: {exc}")
            return
        reporter.finish()
        self.deps.metrics.investigated(
            outcome.state, time.monotonic() - started, "waiting" if outcome.waiting else "reported"
        )
        self.publish(outcome, channel, thread_ts)

    def publish(self, outcome: Outcome, channel: str, thread_ts: str) -> None:
        """The RCA card, then one approval card per proposal that needs a decision; the evidence charts
        follow on the worker pool (a terminal gets sparklines on the card's evidence lines instead)."""
        report = outcome.report or report_from_state(cast(InvestigationState, outcome.state))
        self.deps.store.save_report(outcome.incident_id, report)
        self.deps.store.note(outcome.incident_id, "diagnosis", root_cause_text(report) or "no root cause established")
        self.deps.workspace.post(channel, rca_card(report, self._sparklines(report)), thread_ts=thread_ts)
        if self.deps.charts == "images":
            self.deps.submit(post_evidence_charts, self.deps, outcome.incident_id, report, channel, thread_ts)
        if outcome.waiting:
            self.approvals.post_cards(
                outcome.incident_id, list(outcome.state.get("proposals") or []), channel, thread_ts
            )
        elif report.get("actions"):
            self.deps.workspace.post(channel, verification_message(report), thread_ts=thread_ts)

    def _sparklines(self, report: dict[str, Any]) -> dict[str, str]:
        if self.deps.charts != "sparklines":
            return {}
        from bot.charts.evidence import evidence_sparklines

        try:
            return evidence_sparklines(report, self.deps.sources.metrics, self.deps.clock())
        except Exception:  # a drawing is never worth the card
            log.warning("no sparklines for %s", report.get("incident", {}).get("id"), exc_info=True)
            return {}

    # ----- questions -----
    def answer(self, incident_id: str, question: str, channel: str, thread_ts: str, user: str | None) -> None:
        incident = self.deps.store.get(incident_id) or {}
        self.deps.store.note(incident_id, "question", question, user)
        text = self.answerer.answer(incident.get("report"), question)
        self.deps.workspace.post(channel, answer_message(question, text, user), thread_ts=thread_ts)
