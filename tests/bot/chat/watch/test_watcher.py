"""``andon serve`` with ``ANDON_WATCH=1`` watches: it scans the telemetry it serves and posts early-warning cards
in the incident channel — one replica at a time, by a lease in the store; without the setting it does not."""

from __future__ import annotations

import time

import pytest

from bot.chat.blocks.warning import WatchActionId, WatchBlockId
from bot.chat.watch.watcher import LEASE_KEY, Watcher, start_watcher
from bot.settings import load_settings
from tests.support.served_slack import CHANNEL, Andon
from tests.support.watched import Watched, card_text, cards

pytestmark = pytest.mark.integration


def test_the_watch_posts_an_early_warning_card_in_the_incident_channel(watched: Watched) -> None:
    card = watched.card_of("gateway")

    assert card.args["channel"] == CHANNEL and not card.args.get("thread_ts")
    text = card_text(card)
    assert "*Early warning — gateway " in text and "(no alert yet)" in text
    assert "*Likely cause:*" in text and "*Evidence:*" in text
    actions = next(b for b in card.blocks if b.get("block_id") == WatchBlockId.ACTIONS)
    assert [e["action_id"] for e in actions["elements"]] == list(WatchActionId)
    assert card.args["text"].startswith(":warning: *Early warning — gateway")  # the notification says it too


def test_a_second_replica_does_not_watch_while_the_first_holds_the_lease(watched: Watched) -> None:
    deps = watched.andon.running.desk.deps
    assert watched.watcher.leading.is_set()
    posted = len(cards(watched.andon.fake))

    second = Watcher(deps, watched.watcher.scanner, 0.05).start()
    try:
        time.sleep(0.5)
        assert not second.leading.is_set()
        assert not deps.store.claim(LEASE_KEY, 30.0)  # the leader keeps it renewed
        assert len(cards(watched.andon.fake)) == posted
    finally:
        second.stop()


def test_without_andon_watch_serve_does_not_watch(andon: Andon) -> None:
    deps = andon.running.desk.deps

    assert start_watcher(deps.settings, deps) is None
    assert deps.store.claim(LEASE_KEY, 30.0)  # nobody took the lease


def test_andon_watch_is_a_typed_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDON_WATCH", "1")
    monkeypatch.setenv("ANDON_WATCH_INTERVAL_S", "12")

    settings = load_settings()

    assert settings.watch is True and settings.watch_interval_s == 12.0
    monkeypatch.delenv("ANDON_WATCH")
    assert load_settings().watch is False and load_settings(watch_interval_s=None).watch_interval_s == 12.0
