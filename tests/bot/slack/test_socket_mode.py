"""Socket Mode end to end: the fake's apps.connections.open hands out a ws://127.0.0.1 URL served here;
the test delivers envelopes over the WebSocket and checks Andon's acks and its Web API calls."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.server import Server, ServerConnection, serve

from bench.fake_slack import FakeSlack
from bot.chat.ids import BlockId
from tests.support.net import free_port
from tests.support.served_slack import launch

pytestmark = pytest.mark.integration


class SocketSlack:
    """Slack's side of a Socket Mode connection: hello, then envelopes in, acks out."""

    def __init__(self) -> None:
        self.port = free_port()
        self.connected = threading.Event()
        self.outbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.acks: queue.Queue[dict[str, Any]] = queue.Queue()
        self.server: Server = serve(self._session, "127.0.0.1", self.port)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link/?ticket=test"

    def _session(self, connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "AANDON01"}}))
        self.connected.set()
        while True:
            try:
                envelope = self.outbox.get(timeout=0.05)
                connection.send(json.dumps(envelope))
            except queue.Empty:
                pass
            try:
                message = connection.recv(timeout=0.05)
            except TimeoutError:
                continue
            except Exception:
                return
            self.acks.put(json.loads(message))

    def deliver(self, envelope: dict[str, Any], timeout: float = 5.0) -> tuple[dict[str, Any], float]:
        """Send one envelope; return its ack and how long it took."""
        started = time.monotonic()
        self.outbox.put(envelope)
        deadline = started + timeout
        while time.monotonic() < deadline:
            ack = self.acks.get(timeout=max(deadline - time.monotonic(), 0.01))
            if ack.get("envelope_id") == envelope["envelope_id"]:
                return ack, time.monotonic() - started
        raise AssertionError(f"no ack for {envelope['envelope_id']}")

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def socket_slack() -> Iterator[SocketSlack]:
    server = SocketSlack()
    yield server
    server.close()


def test_socket_mode_acks_envelopes_and_runs_the_same_flow(
    fake_slack: FakeSlack, socket_slack: SocketSlack, tmp_path: Path, slack_kb: Any
) -> None:
    fake_slack.ws_url = socket_slack.url
    running = launch(fake_slack, tmp_path, slack_kb, mode="socket")
    try:
        assert socket_slack.connected.wait(10), "Andon connected to the WebSocket URL from apps.connections.open"
        opened = fake_slack.calls_to("apps.connections.open")
        assert opened and opened[0].headers["authorization"] == "Bearer xapp-test-token"

        command = {
            "envelope_id": "env-cmd-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": {
                "token": "legacy",
                "team_id": "TFAKE0001",
                "channel_id": "CINCIDENT1",
                "user_id": "UAPPROVER1",
                "command": "/andon",
                "text": "help",
                "trigger_id": "1.2.3",
                "response_url": fake_slack.response_url("socket"),
            },
        }
        ack, took = socket_slack.deliver(command)
        assert took < 3.0
        assert BlockId.HELP in json.dumps(ack["payload"]["blocks"])

        ts = "1773137300.000100"
        event = {
            "envelope_id": "env-ev-1",
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
            "payload": {
                "type": "event_callback",
                "team_id": "TFAKE0001",
                "api_app_id": "AANDON01",
                "event_id": "Ev0SOCKET1",
                "event_time": int(time.time()),
                "event": {
                    "type": "app_mention",
                    "user": "UREPORTER",
                    "channel": "CGENERAL01",
                    "ts": ts,
                    "text": "<@UANDONBOT> checkout 5xx since 10:02, started after deploy",
                },
            },
        }
        ack, took = socket_slack.deliver(event)
        assert ack == {"envelope_id": "env-ev-1"} and took < 3.0
        fake_slack.wait_for(
            lambda: [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("thread_ts") == ts],
            timeout=5,
            what="the ack in the thread",
        )
        fake_slack.wait_for(lambda: fake_slack.posts_with(BlockId.RCA_HEADER), what="the RCA card")

        redelivered = dict(event, envelope_id="env-ev-2", retry_attempt=1, retry_reason="timeout")
        socket_slack.deliver(redelivered)
        time.sleep(0.5)
        assert len(fake_slack.posts_with(BlockId.PROGRESS)) == 1, "a redelivered envelope is not investigated again"
    finally:
        running.stop()
