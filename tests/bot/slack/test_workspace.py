"""The one door to Slack: whatever Andon posts, updates or uploads (the evidence charts' titles and message
included) leaves without the secrets planted in what it was given (alert fields, labels, thread titles)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.fake_slack import FakeSlack
from bot.chat.blocks import MAX_BLOCKS, rca_card
from bot.chat.ids import BlockId
from bot.settings import load_settings
from bot.slack.workspace import SlackWorkspace, api_base_url, make_web_client
from tests.support.reports import huge_report
from tests.support.served_slack import ALERT, Andon

pytestmark = pytest.mark.integration

SECRETS = {
    "slack": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "github": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "aws": "AKIA" + "IOSFODNN7EXAMPLE",
    "openai": "sk-proj-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmRvbiJ9.c2lnbmF0dXJlLXZhbHVl",
    "url password": "hunter2-prod-pw",
}


def test_secrets_planted_in_an_alert_never_reach_slack(andon: Andon) -> None:
    payload = json.loads(ALERT.read_text())
    leak = (
        f"gateway 5xx; bot {SECRETS['slack']} gh {SECRETS['github']} aws {SECRETS['aws']} "
        f"key {SECRETS['openai']} jwt {SECRETS['jwt']} db postgres://app:{SECRETS['url password']}@db:5432/shop"
    )
    payload["commonAnnotations"]["summary"] = leak
    payload["alerts"][0]["annotations"]["summary"] = leak
    payload["alerts"][0]["annotations"]["description"] = leak
    payload["commonLabels"]["alertname"] = payload["alerts"][0]["labels"]["alertname"] = "Leak " + SECRETS["aws"]
    assert andon.http.post(f"{andon.url}/alertmanager", json=payload).status_code == 202
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")
    andon.fake.wait_for(lambda: andon.fake.calls_to("files.completeUploadExternal"), what="the evidence charts")
    sent = json.dumps([c.args for c in andon.fake.calls], ensure_ascii=False)
    assert "gateway 5xx; bot [REDACTED]" in sent  # the summary did go out, redacted
    found = [name for name, secret in SECRETS.items() if secret in sent]
    assert found == []


def test_huge_card_posts_through_the_web_api(tmp_path: Any) -> None:
    fake = FakeSlack().start()
    try:
        workspace = SlackWorkspace(
            make_web_client(load_settings(data_dir=tmp_path, slack_api_url=fake.api_url[:-1], slack_bot_token="xoxb-1"))
        )
        ts = workspace.post("C1", rca_card(huge_report()), thread_ts="1.2")
        call = fake.calls_to("chat.postMessage")[0]
        assert ts == call.response["ts"] and len(call.blocks) <= MAX_BLOCKS
        assert call.headers["authorization"] == "Bearer xoxb-1"
    finally:
        fake.stop()


def test_api_base_url_must_end_with_api() -> None:
    assert api_base_url(load_settings(slack_api_url="http://proxy.internal/api")) == "http://proxy.internal/api/"
    try:
        api_base_url(load_settings(slack_api_url="http://proxy.internal/"))
    except ValueError as exc:
        assert "/api/" in str(exc)
    else:
        raise AssertionError("a base URL without /api/ must be refused")
