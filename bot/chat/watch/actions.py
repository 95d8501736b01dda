"""What the buttons on a warning's card do. "Not a problem" records the dismissal (the watch does not flag that
shape on that service again) and, after the acknowledgement, teaches it to the knowledge base as a learned
``no_fault`` past incident (:mod:`bot.watch.learning`); "Silence 1 h" holds the warning quiet for
``WatchParams.silence_s``; "Investigate now" opens an incident in the warning's thread through the path an alert
takes (an Alertmanager-shaped trigger into :meth:`Conversations.open_incident`). Each click updates the card in
place."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Literal

from bot.chat.blocks import Block
from bot.chat.blocks.warning import warning_card
from bot.chat.conversations import Conversations, thread_incident_id
from bot.chat.deps import ChatDeps
from bot.watch.learning import learn_dismissal
from bot.watch.params import watch_params
from bot.watch.state import WarningThread, WatchState
from tools.redaction import redact_data

__all__ = ["WarningActions", "WarningClick", "Choice", "warning_trigger"]

log = logging.getLogger(__name__)
Choice = Literal["investigate", "silence", "dismiss"]


@dataclass(frozen=True)
class WarningClick:
    """One click on a warning's card."""

    key: str
    choice: Choice
    user: str
    channel: str
    message_ts: str


def warning_trigger(detail: dict[str, Any], key: str) -> dict[str, Any]:
    """An Alertmanager webhook for a warning, so it opens an incident exactly as an alert does."""
    labels = {
        "alertname": "AndonEarlyWarning",
        "service": str(detail.get("service") or ""),
        "severity": "warning",
        "signal": str(detail.get("metric") or detail.get("signal") or ""),
    }
    alert: dict[str, Any] = {
        "status": "firing",
        "labels": {k: v for k, v in labels.items() if v},
        "annotations": {"summary": str(detail.get("text") or key)},
    }
    since = detail.get("since")
    if isinstance(since, int | float) and since > 0:
        alert["startsAt"] = dt.datetime.fromtimestamp(float(since), dt.UTC).isoformat()
    return {"receiver": "andon-watch", "status": "firing", "groupKey": f"andon-watch:{key}", "alerts": [alert]}


class WarningActions:
    def __init__(self, deps: ChatDeps, conversations: Conversations) -> None:
        self.deps = deps
        self.conversations = conversations
        self.state = WatchState(deps.store.db)
        self.params = watch_params(deps.settings)

    def record(self, click: WarningClick) -> str:
        """Do what the click asks that must last (before Slack hears back): ``dismissed``, ``silenced``,
        ``investigating``, ``duplicate`` (that thread already has its incident: an earlier click, or the alert
        that joined it) or ``unknown``."""
        held = self.state.held(click.key)
        detail = held.detail if held is not None else {}
        now = self.deps.clock()
        if click.choice == "dismiss":
            service, signal = str(detail.get("service") or ""), str(detail.get("signal") or "")
            if not service or not signal:
                return "unknown"
            self.state.dismiss(service, signal, click.user, now)
            return "dismissed"
        if click.choice == "silence":
            self.state.silence(click.key, now + self.params.silence_s, click.user)
            return "silenced"
        if not detail:
            return "unknown"
        if self.deps.store.find_by_thread(
            click.channel, click.message_ts
        ) is not None or not self.deps.store.first_time(f"watch:investigate:{click.channel}:{click.message_ts}"):
            return "duplicate"
        return "investigating"

    def follow_up(self, click: WarningClick, result: str) -> None:
        """After the acknowledgement: open the investigation, and show on the card what was done."""
        held = self.state.held(click.key)
        detail = held.detail if held is not None else {}
        thread = self.state.thread(click.key) or WarningThread(
            key=click.key, channel=click.channel, ts=click.message_ts, posted_at=0.0, opened_at=0.0
        )
        if result == "unknown":
            self.deps.workspace.ephemeral(
                click.channel, click.user, "This warning is no longer known to the watch.", thread_ts=click.message_ts
            )
            return
        if result == "duplicate":
            return
        outcome: dict[str, Any] = {"action": result, "by": click.user, "at": self.deps.clock()}
        if result == "silenced":
            outcome["until"] = self.state.silenced_until(click.key)
        if result == "dismissed":
            learned = learn_dismissal(
                self.deps.kb,
                str(detail.get("service") or ""),
                str(detail.get("signal") or ""),
                detail,
                click.user,
                self.deps.clock(),
            )
            if learned:
                outcome["learned"] = learned
        if result == "investigating":
            self.conversations.open_incident(
                warning_trigger(detail, click.key),
                click.channel,
                click.message_ts,
                thread_incident_id(click.channel, click.message_ts),
                opened_by=click.user,
            )
        if thread.channel == click.channel and thread.ts == click.message_ts:
            thread.outcome = outcome
            self.state.remember_thread(thread)
        self.deps.workspace.update(click.channel, click.message_ts, _safe(warning_card(detail, click.key, outcome)))


def _safe(blocks: list[Block]) -> list[Block]:
    redacted: list[Block] = redact_data(blocks)
    return redacted
