"""Early-warning threads: what one watch scan found, told in the incident channel. A new warning or forecast
opens a thread (its card, with the incident buttons); told again after its cooldown while still the same
warning, it is said in that thread; a forecast's card is updated in place as its projection moves. Blindness
is said once, and the recovery once. Every post is redacted and its untrusted text escaped."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from bot.chat.blocks import Block
from bot.chat.blocks.kit import untrusted
from bot.chat.blocks.warning import warning_card, warning_note
from bot.chat.deps import ChatDeps
from bot.watch.records import EarlyWarning, Forecast, ScanReport
from bot.watch.state import WarningThread, WatchState
from tools.redaction import redact_data

__all__ = ["WarningThreads", "incident_channel"]

log = logging.getLogger(__name__)


def incident_channel(deps: ChatDeps) -> str | None:
    """The first configured incident channel, as an id (where alerts open their threads too)."""
    return next((c for c in map(deps.workspace.channel_id, deps.settings.incident_channels) if c), None)


class WarningThreads:
    def __init__(self, deps: ChatDeps, wall_clock: Callable[[], float] = time.time) -> None:
        self.deps = deps
        self.state = WatchState(deps.store.db)
        self.wall_clock = wall_clock
        """When a card is posted, for an alert's lead time (the scan's own clock may be a replay's)."""

    def publish(self, report: ScanReport) -> None:
        """Tell what ``report`` holds that is worth telling; one item that cannot be told does not stop the rest."""
        channel = incident_channel(self.deps)
        if channel is None:
            if report.notices():
                log.warning("the watch has something to say but no incident channel: set ANDON_INCIDENT_CHANNELS")
            return
        if report.blind and report.blind_new:
            self._say(
                channel,
                f":see_no_evil: *The watch is blind* — {untrusted(report.blind)}. No early warnings "
                "until the metrics source answers again; this is not a sign of health.",
            )
        if report.recovered:
            self._say(channel, ":eyes: *Watching again*: the metrics source answers.")
        items: list[EarlyWarning | Forecast] = [*report.warnings, *report.forecasts]
        for item in items:
            try:
                self._tell(channel, item)
            except Exception:  # noqa: BLE001 — Slack refusing one card must not silence the others
                log.exception("could not tell %s", item.key)

    def _tell(self, channel: str, item: EarlyWarning | Forecast) -> None:
        held = self.state.held(item.key)
        opened_at = held.opened_at if held is not None else 0.0
        thread = self.state.thread(item.key)
        same = thread is not None and thread.opened_at == opened_at
        detail, text = item.to_dict(), item.describe()
        if same and thread is not None:
            if item.new:
                self._say(thread.channel, f":repeat: Still there: {untrusted(text)}", thread.ts)
            if item.new or (isinstance(item, Forecast) and text != thread.text):
                self._update(thread, detail, text)
            return
        if not item.new:
            return  # told before this process kept threads, or silenced: nothing to say now
        blocks = _safe(warning_card(detail, item.key))
        ts = self.deps.workspace.post(channel, blocks)
        self.state.remember_thread(
            WarningThread(
                key=item.key, channel=channel, ts=ts, posted_at=self.wall_clock(), opened_at=opened_at, text=text
            )
        )

    def _update(self, thread: WarningThread, detail: dict[str, Any], text: str) -> None:
        self.deps.workspace.update(thread.channel, thread.ts, _safe(warning_card(detail, thread.key, thread.outcome)))
        thread.text = text
        self.state.remember_thread(thread)

    def _say(self, channel: str, text: str, thread_ts: str | None = None) -> None:
        try:
            self.deps.workspace.post(channel, _safe(warning_note(text)), thread_ts=thread_ts)
        except Exception:  # noqa: BLE001
            log.exception("could not post a watch note in %s", channel)


def _safe(blocks: list[Block]) -> list[Block]:
    redacted: list[Block] = redact_data(blocks)
    return redacted
