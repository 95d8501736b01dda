"""``/andon watch status``: the watch as the store knows it, answered within the acknowledgement (a few
reads of the store, whichever replica or process answers)."""

from __future__ import annotations

from bot.chat.blocks import Block, notice
from bot.chat.blocks.kit import untrusted
from bot.chat.blocks.watch_status import watch_status_blocks
from bot.chat.deps import ChatDeps
from bot.runtime import rca_params
from bot.watch.params import watch_params
from bot.watch.state import WatchState
from bot.watch.status import watch_status

__all__ = ["watch_command", "USAGE"]

USAGE = "`/andon watch status` — what the watch watches, its last scan, the live warnings and the budgets"


def watch_command(deps: ChatDeps, rest: str) -> list[Block]:
    """The answer to ``/andon watch <rest>``: ``status`` (the default), else the usage."""
    word = rest.strip().lower()
    if word not in ("", "status"):
        return notice(f"Unknown watch command `{untrusted(word)}`. Try {USAGE}.")
    settings = deps.settings
    status = watch_status(
        WatchState(deps.store.db),
        watch_params(settings),
        deps.clock(),
        enabled=settings.watch,
        interval_s=settings.watch_interval_s,
        anomaly_threshold=rca_params(settings).anomaly_threshold,
    )
    return watch_status_blocks(status)
