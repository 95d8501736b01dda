"""A running Andon on Slack for tests: the real HTTP server (``andon serve --mode http``'s ``start``) on a free
loopback port, replaying the checkout bad-deploy telemetry and talking to a fake Slack Web API, with helpers
to send it signed events, commands and clicks. The fixtures over it (``andon``, ``fake_slack``, ``slack_kb``…)
are in ``tests/bot/conftest.py``: the chat layer's tests (``tests/bot/chat``) drive it as the Slack
channel's do (``tests/bot/slack``)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.fake_slack import FakeSlack
from bot.settings import load_settings
from bot.slack.runner import Running, start
from tests.support.net import free_port
from tests.support.slack_signing import SECRET, signed_headers
from tools import Risk, ToolRegistry, default_registry

ROOT = Path(__file__).resolve().parents[2]
TELEMETRY = ROOT / "examples" / "alerts" / "checkout-bad-deploy.telemetry.yaml"
ALERT = ROOT / "examples" / "alerts" / "checkout-bad-deploy.json"
CHANNEL = "CINCIDENT1"
_TRIGGERS = itertools.count(1)
"""Slack gives every slash command a trigger_id of its own (the same one again is a replay)."""
APPROVER, SECOND_APPROVER, GROUP, GROUP_MEMBER, OUTSIDER = (
    "UAPPROVER1",
    "UAPPROVER2",
    "SONCALL01",
    "UGROUPMATE",
    "UOUTSIDER",
)


@dataclasses.dataclass
class Andon:
    """The running server, the fake Slack it talks to, and request helpers."""

    fake: FakeSlack
    running: Running
    http: httpx.Client

    @property
    def url(self) -> str:
        assert self.running.url is not None
        return self.running.url

    @property
    def store(self) -> Any:
        return self.running.desk.deps.store

    @property
    def actuator(self) -> Any:
        return self.running.desk.deps.sources.actuator

    def executed(self) -> list[dict[str, Any]]:
        return [e for e in self.actuator.executed if not e["dry_run"]]

    def post_signed(
        self,
        body: str,
        content_type: str,
        extra: dict[str, str] | None = None,
        timestamp: int | None = None,
        secret: str = SECRET,
    ) -> httpx.Response:
        headers = {"Content-Type": content_type, **signed_headers(body, secret, timestamp), **(extra or {})}
        return self.http.post(f"{self.url}/slack/events", content=body, headers=headers)

    def event(self, event: dict[str, Any], event_id: str, retry: int | None = None, **kwargs: Any) -> httpx.Response:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": "TFAKE0001",
                "api_app_id": "AANDON01",
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
                "authorizations": [{"team_id": "TFAKE0001", "user_id": "UANDONBOT", "is_bot": True}],
            }
        )
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return self.post_signed(body, "application/json", extra, **kwargs)

    def mention(self, text: str, ts: str, event_id: str, channel: str = "CGENERAL01", **kwargs: Any) -> httpx.Response:
        return self.event(
            {
                "type": "app_mention",
                "user": "UREPORTER",
                "text": f"<@UANDONBOT> {text}",
                "ts": ts,
                "channel": channel,
                "event_ts": ts,
            },
            event_id,
            **kwargs,
        )

    def command(self, text: str, user: str = APPROVER, channel: str = CHANNEL) -> httpx.Response:
        body = urlencode(
            {
                "token": "legacy",
                "team_id": "TFAKE0001",
                "channel_id": channel,
                "user_id": user,
                "command": "/andon",
                "text": text,
                "trigger_id": f"{next(_TRIGGERS)}.andon.test",
                "response_url": self.fake.response_url(text.split(" ")[0] or "empty"),
            }
        )
        return self.post_signed(body, "application/x-www-form-urlencoded")

    def click(self, action_id: str, value: str, user: str, channel: str, message_ts: str) -> httpx.Response:
        payload = {
            "type": "block_actions",
            "team": {"id": "TFAKE0001"},
            "user": {"id": user},
            "api_app_id": "AANDON01",
            "token": "legacy",
            "trigger_id": "1.2.3",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "channel": {"id": channel},
            "message": {"ts": message_ts},
            "response_url": self.fake.response_url("click"),
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "andon.proposal.actions",
                    "value": value,
                    "action_ts": str(time.time()),
                }
            ],
        }
        return self.post_signed(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def _policy(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(f"approvers: [{APPROVER}, {SECOND_APPROVER}, {GROUP}]\n{extra}")
    return path


def launch(
    fake: FakeSlack,
    tmp_path: Path,
    kb: Any,
    registry: ToolRegistry | None = None,
    mode: str = "http",
    policy: str = "",
    **settings: Any,
) -> Running:
    config = load_settings(
        data_dir=tmp_path / "data",
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_app_token="xapp-test-token",
        slack_api_url=fake.api_url,
        incident_channels=[CHANNEL],
        policy_file=_policy(tmp_path, policy),
        **settings,
    )
    return start(
        config,
        mode="http" if mode == "http" else "socket",
        port=free_port(),
        telemetry=TELEMETRY,
        kb=kb,
        registry=registry,
    )


def stop_and_drain(running: Running) -> None:
    """Stop serving and wait for the work already running (an investigation, a card's charts) to finish, so
    it never talks to a fake Slack that a later fixture teardown has closed, into another test's log."""
    running.stop()
    running.desk.deps.executor.shutdown(wait=True)


@contextmanager
def serving(fake: FakeSlack, tmp_path: Path, kb: Any, **settings: Any) -> Iterator[Andon]:
    """A server launched with ``settings`` (and a client to talk to it), stopped afterwards."""
    running = launch(fake, tmp_path, kb, **settings)
    try:
        with httpx.Client(timeout=10) as client:
            yield Andon(fake, running, client)
    finally:
        stop_and_drain(running)


def destructive_rollbacks() -> ToolRegistry:
    """The built-in tools, with rollback_deploy declared destructive (so the fixture proposes a destructive action)."""
    return ToolRegistry(
        [
            dataclasses.replace(t, risk=Risk.DESTRUCTIVE) if t.name == "rollback_deploy" else t
            for t in default_registry().all()
        ]
    )
