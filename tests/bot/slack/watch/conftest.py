"""The watch in a running server: ``andon serve``'s start with the watcher on (``ANDON_WATCH=1``), scanning the
checkout bad-deploy telemetry it replays, talking to the fake Slack Web API; the cards it posted, by service."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.slack.blocks.warning import WatchBlockId
from bot.slack.watch.watcher import Watcher, start_watcher
from bot.watch import WatchState
from tests.bot.slack.conftest import Andon, serving
from tests.support.fake_slack import Call, FakeSlack

__all__ = ["Watched", "watched", "card_text", "cards"]


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


@pytest.fixture
def learned_kb(slack_kb: Any, tmp_path: Path) -> Any:
    """The Slack tests' knowledge base with an empty layer of this test's own on top: what a "Not a problem" click
    teaches goes into the layer, so no other test sees it."""
    from bot.runtime import open_knowledge
    from bot.settings import load_settings
    from knowledge.retrieval import LayeredKnowledge

    return LayeredKnowledge(slack_kb, open_knowledge(load_settings(data_dir=tmp_path / "learned"), ingest=False))


@pytest.fixture
def watched(fake_slack: FakeSlack, tmp_path: Path, learned_kb: Any) -> Iterator[Watched]:
    """A server watching (one scan: the interval is an hour), with its first cards posted."""
    with serving(fake_slack, tmp_path, learned_kb, watch=True, watch_interval_s=3600) as andon:
        watcher = start_watcher(andon.running.desk.services.settings, andon.running.desk.services)
        assert watcher is not None
        try:
            fake_slack.wait_for(lambda: len(cards(fake_slack)) >= 3, what="the warning cards")
            yield Watched(andon, watcher)
        finally:
            watcher.stop()
