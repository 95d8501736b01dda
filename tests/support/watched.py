"""The watch in a running server (``tests/support/served_slack.py``) with the watcher on (``ANDON_WATCH=1``),
scanning the checkout bad-deploy telemetry it replays; the cards it posted, by service. The ``watched``
fixture over it is in ``tests/bot/conftest.py``."""

from __future__ import annotations

from dataclasses import dataclass

from bench.fake_slack import Call, FakeSlack
from bot.chat.blocks.warning import WatchBlockId
from bot.chat.watch.watcher import Watcher
from bot.watch import WatchState
from tests.support.served_slack import Andon

__all__ = ["Watched", "card_text", "cards"]


def card_text(call: Call) -> str:
    return "\n".join(str((b.get("text") or {}).get("text", "")) for b in call.blocks)


def cards(fake: FakeSlack) -> list[Call]:
    """Warning cards posted as thread roots."""
    return [c for c in fake.posts_with(WatchBlockId.WARNING) if not c.args.get("thread_ts")]


@dataclass
class Watched:
    andon: Andon
    watcher: Watcher

    @property
    def state(self) -> WatchState:
        return WatchState(self.andon.store.db)

    def card_of(self, service: str) -> Call:
        return next(c for c in cards(self.andon.fake) if f"— {service} " in card_text(c))

    def key_of(self, card: Call) -> str:
        actions = next(b for b in card.blocks if b.get("block_id") == WatchBlockId.ACTIONS)
        return str(actions["elements"][0]["value"])
