"""Fixtures for the chat layer and the Slack channel: a fake Slack Web API, the real server over it
(``tests/support/served_slack.py``), and the server with its watch on (``tests/support/watched.py``). Both
``tests/bot/chat`` and ``tests/bot/slack`` use them; a fixture starts nothing until a test asks for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.fake_slack import FakeSlack
from bot.chat.watch.watcher import start_watcher
from bot.settings import load_settings
from tests.support.served_slack import (
    GROUP,
    GROUP_MEMBER,
    Andon,
    destructive_rollbacks,
    launch,
    serving,
    stop_and_drain,
)
from tests.support.watched import Watched, cards


@pytest.fixture(scope="session")
def slack_kb(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A knowledge base of its own: these tests teach it resolved incidents, which the shared one must not see."""
    from bot.runtime import open_knowledge

    return open_knowledge(load_settings(data_dir=tmp_path_factory.mktemp("slack-kb")))


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    fake.usergroups = {GROUP: [GROUP_MEMBER]}
    yield fake
    fake.stop()


@pytest.fixture
def andon(fake_slack: FakeSlack, tmp_path: Path, slack_kb: Any) -> Iterator[Andon]:
    with serving(fake_slack, tmp_path, slack_kb) as served:
        yield served


@pytest.fixture
def andon_destructive(fake_slack: FakeSlack, tmp_path: Path, slack_kb: Any) -> Iterator[Andon]:
    running = launch(fake_slack, tmp_path, slack_kb, registry=destructive_rollbacks())
    with httpx.Client(timeout=10) as client:
        yield Andon(fake_slack, running, client)
    stop_and_drain(running)


@pytest.fixture
def andon_expiring(fake_slack: FakeSlack, tmp_path: Path, slack_kb: Any) -> Iterator[Andon]:
    """Proposals expire after 0.6 s."""
    running = launch(fake_slack, tmp_path, slack_kb, policy="expiry_minutes: 0.01\n")
    with httpx.Client(timeout=10) as client:
        yield Andon(fake_slack, running, client)
    stop_and_drain(running)


@pytest.fixture
def learned_kb(slack_kb: Any, tmp_path: Path) -> Any:
    """The Slack tests' knowledge base with an empty layer of this test's own on top: what a "Not a problem" click
    teaches goes into the layer, so no other test sees it."""
    from bot.runtime import open_knowledge
    from knowledge.retrieval import LayeredKnowledge

    return LayeredKnowledge(slack_kb, open_knowledge(load_settings(data_dir=tmp_path / "learned"), ingest=False))


@pytest.fixture
def watched(fake_slack: FakeSlack, tmp_path: Path, learned_kb: Any) -> Iterator[Watched]:
    """A server watching (one scan: the interval is an hour), with its first cards posted: the error ratios of
    checkout and gateway (gateway's p99, 0.35 → 0.5 s, stays within a latency's spread: its own level)."""
    with serving(fake_slack, tmp_path, learned_kb, watch=True, watch_interval_s=3600) as andon:
        watcher = start_watcher(andon.running.desk.deps.settings, andon.running.desk.deps)
        assert watcher is not None
        try:
            fake_slack.wait_for(lambda: len(cards(fake_slack)) >= 2, what="the warning cards")  # checkout, gateway
            yield Watched(andon, watcher)
        finally:
            watcher.stop()
