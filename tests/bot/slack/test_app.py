"""Building the Bolt app: no warning about the token the client already carries, and a Slack API that cannot be
reached is one line naming what to check, not a traceback."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import cast
from unittest.mock import MagicMock

import pytest

from bench.fake_slack import FakeSlack
from bot.chat.desk import Desk
from bot.settings import SettingsError, load_settings
from bot.slack.app import build_app
from bot.slack.workspace import make_web_client
from tests.support.net import free_port
from tests.support.served_slack import SECRET

NO_DESK = cast(Desk, MagicMock())
"""Listeners keep the desk for later; building the app sends nothing through it."""


def test_no_warning_that_the_token_would_be_unused(
    fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-app")  # as `andon serve` runs: the variable set, the client given
    monkeypatch.setenv("ANDON_CONFIG_FILE", str(tmp_path / "none.yaml"))
    settings = load_settings(slack_signing_secret=SECRET, slack_api_url=fake_slack.api_url)
    with caplog.at_level(logging.INFO):
        build_app(settings, NO_DESK, make_web_client(settings))
    assert fake_slack.calls_to("auth.test"), "the token is still checked"
    assert "will be unused" not in caplog.text


def test_an_unreachable_slack_api_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ANDON_CONFIG_FILE", str(tmp_path / "none.yaml"))
    nowhere = f"http://127.0.0.1:{free_port()}/api/"
    settings = load_settings(slack_bot_token="xoxb-app", slack_signing_secret=SECRET, slack_api_url=nowhere)
    with caplog.at_level(logging.INFO), pytest.raises(SettingsError) as raised:
        build_app(settings, NO_DESK, make_web_client(settings))
    message = str(raised.value)
    assert message.startswith(f"cannot reach the Slack API at {nowhere} (") and "\n" not in message
    assert "ANDON_SLACK_API_URL" in message
    assert not [
        r for r in caplog.records if r.name.startswith(("slack_sdk", "slack_bolt")) and r.levelno >= logging.ERROR
    ]
