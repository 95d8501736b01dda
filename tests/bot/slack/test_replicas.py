"""Two `andon serve --mode http` replicas on one PostgreSQL, behind a round-robin proxy: the same Slack
event delivered to both starts one investigation; an approval clicked on the replica that did not start
the incident resumes it; concurrent double approvals execute once (database constraints, not locks)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.chat.blocks import parse_button_value
from bot.chat.ids import ActionId, BlockId
from bot.slack.runner import Running
from tests.support.fake_slack import FakeSlack
from tests.support.postgres import require_postgres, scratch_database
from tests.support.served_slack import APPROVER, SECOND_APPROVER, Andon, launch

TEXT = "checkout 5xx since 10:02, started after deploy"


class RoundRobin(ThreadingHTTPServer):
    """A minimal load balancer: each request goes to the next replica in turn."""

    daemon_threads = True

    def __init__(self, backends: list[str]) -> None:
        self.backends = itertools.cycle(backends)
        self.lock = threading.Lock()
        self.client = httpx.Client(timeout=10)
        super().__init__(("127.0.0.1", 0), _Forward)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def next_backend(self) -> str:
        with self.lock:
            return next(self.backends)


class _Forward(BaseHTTPRequestHandler):
    server: RoundRobin

    def log_message(self, *args: Any) -> None:
        pass

    def _forward(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        reply = self.server.client.request(
            method, self.server.next_backend() + self.path, content=body, headers=headers
        )
        self.send_response(reply.status_code)
        for key, value in reply.headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.content)))
        self.end_headers()
        self.wfile.write(reply.content)

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
        self._forward("POST")

    def do_GET(self) -> None:  # noqa: N802
        self._forward("GET")


@pytest.fixture
def replicas(fake_slack: FakeSlack, tmp_path: Path, slack_kb: Any) -> Iterator[tuple[Andon, Running, Running]]:
    require_postgres()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with scratch_database("andon_replicas") as url:
        first = launch(fake_slack, tmp_path / "a", slack_kb, database_url=url)
        second = launch(fake_slack, tmp_path / "b", slack_kb, database_url=url)
        proxy = RoundRobin([str(first.url), str(second.url)])
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        proxied = Running(desk=first.desk, app=first.app, http=proxy)  # type: ignore[arg-type]
        with httpx.Client(timeout=10) as client:
            yield Andon(fake_slack, proxied, client), first, second
        proxy.shutdown()
        first.stop()
        second.stop()


def _executed(*runs: Running) -> list[dict[str, Any]]:
    return [e for run in runs for e in run.desk.deps.sources.actuator.executed if not e["dry_run"]]


def test_same_event_on_both_replicas_investigates_once_and_any_replica_resumes(
    replicas: tuple[Andon, Running, Running],
) -> None:
    andon, first, second = replicas
    ts = "1773137301.000100"
    # Slack delivers the event, then retries it: the proxy sends one copy to each replica.
    assert andon.mention(TEXT, ts, "Ev0REPLICA1").status_code == 200
    assert andon.mention(TEXT, ts, "Ev0REPLICA1", retry=1).status_code == 200
    card = andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.PROPOSAL_ACTIONS), what="an approval card")[0]
    time.sleep(1.5)
    assert len(andon.fake.posts_with(BlockId.RCA_HEADER)) == 1, "one investigation across two replicas"
    assert len(andon.fake.posts_with(BlockId.PROPOSAL_ACTIONS)) == 1
    actions = next(b for b in card.blocks if b.get("block_id") == BlockId.PROPOSAL_ACTIONS)
    value = actions["elements"][0]["value"]
    channel, message_ts = card.args["channel"], card.response["ts"]
    # Concurrent approvals through the proxy land on both replicas; the action runs once.
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(
            pool.map(
                lambda user: andon.click(ActionId.APPROVE, value, user, channel, message_ts).status_code,
                [APPROVER, APPROVER, SECOND_APPROVER, APPROVER],
            )
        )
    assert statuses == [200, 200, 200, 200]
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.VERIFICATION), what="verify's result")
    time.sleep(1.0)
    executed = _executed(first, second)
    assert len(executed) == 1 and executed[0]["action"] == "rollback_deploy"
    incident_id = parse_button_value(value)[0]
    assert len(first.desk.deps.store.executions(incident_id)) == 1
    assert first.desk.deps.store.executions(incident_id) == second.desk.deps.store.executions(incident_id)


def test_approval_on_the_replica_that_did_not_start_the_incident(replicas: tuple[Andon, Running, Running]) -> None:
    andon, first, second = replicas
    ts = "1773137302.000100"
    direct = Andon(andon.fake, first, andon.http)
    assert direct.mention(TEXT, ts, "Ev0REPLICA2").status_code == 200  # only replica A investigates
    card = andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.PROPOSAL_ACTIONS), what="an approval card")[0]
    actions = next(b for b in card.blocks if b.get("block_id") == BlockId.PROPOSAL_ACTIONS)
    other = Andon(andon.fake, second, andon.http)
    other.click(ActionId.APPROVE, actions["elements"][0]["value"], APPROVER, card.args["channel"], card.response["ts"])
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.VERIFICATION), what="verify's result")
    time.sleep(0.5)
    assert [e["action"] for e in _executed(first, second)] == ["rollback_deploy"]
    assert _executed(second), "replica B resumed the graph replica A paused and ran the action"
