"""``andon serve`` as a real process with ``ANDON_WATCH=1``: its watch posts early-warning cards in the incident
channel; without the setting it posts none."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.fake_slack import FakeSlack
from tests.support.net import free_port, wait_http
from tests.support.served_slack import ROOT, SECRET, TELEMETRY
from tests.support.watched import card_text, cards

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANDON_", "SLACK_", "OPENAI_"))}
    env.update(ANDON_DATA_DIR=str(tmp_path / "data"), ANDON_CONFIG_FILE=str(tmp_path / "none.yaml"), **extra)
    return env


def _serve(tmp_path: Path, fake: FakeSlack, **extra: str) -> tuple[str, subprocess.Popen[str]]:
    port = free_port()
    env = _env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-proc",
        SLACK_SIGNING_SECRET=SECRET,
        ANDON_SLACK_API_URL=fake.api_url,
        ANDON_INCIDENT_CHANNELS='["CINCIDENT1"]',
        ANDON_WORKER="thread",
        **extra,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "andon", "serve", "--mode", "http", "--port", str(port), "--telemetry", str(TELEMETRY)],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/healthz", timeout_s=120)
    return url, process


@pytest.mark.parametrize("watch", ["1", "0"])
def test_serve_watches_only_with_andon_watch(tmp_path: Path, fake_slack: FakeSlack, watch: str) -> None:
    _url, process = _serve(tmp_path, fake_slack, ANDON_WATCH=watch)
    try:
        if watch == "1":
            fake_slack.wait_for(lambda: len(cards(fake_slack)) >= 2, timeout=60, what="the warning cards")
            assert any("*Early warning — gateway " in card_text(c) for c in cards(fake_slack))
        else:
            time.sleep(3.0)
            assert cards(fake_slack) == []
    finally:
        process.kill()
        process.wait()
