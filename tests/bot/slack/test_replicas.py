"""Two `andon serve --mode http` replicas on one PostgreSQL, behind a round-robin proxy: the same Slack
event delivered to both starts one investigation; an approval clicked on the replica that did not start
the incident resumes it; concurrent double approvals execute once (database constraints, not locks)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.fake_slack import FakeSlack
from bot.chat.blocks import parse_button_value
from bot.chat.ids import ActionId, BlockId
from bot.slack.runner import Running
from tests.support.fakehttp import RecordedRequest, Reply, recording_server
from tests.support.postgres import require_postgres, scratch_database
from tests.support.served_slack import APPROVER, SECOND_APPROVER, Andon, launch

TEXT = "checkout 5xx since 10:02, started after deploy"
_NOT_RELAYED = ("content-type", "content-length", "transfer-encoding", "connection", "content-encoding")
"""Reply headers the proxy does not copy: the recording server writes its own framing and content type."""


class RoundRobin:
    """A minimal load balancer, as the answer of a recording server to every request: each request goes to the
    next replica in turn, and the replica's answer comes back as it is."""

    def __init__(self, backends: list[str], client: httpx.Client) -> None:
        self.backends = itertools.cycle(backends)
        self.lock = threading.Lock()
        self.client = client

    def next_backend(self) -> str:
        with self.lock:
            return next(self.backends)

    def __call__(self, request: RecordedRequest) -> Reply:
        headers = {k: v for k, v in request.headers.items() if k not in ("host", "content-length")}
        reply = self.client.request(
            request.method,
            self.next_backend() + request.path,
            params=request.query,
            content=request.body,
            headers=headers,
        )
        kept = {k: v for k, v in reply.headers.items() if k.lower() not in _NOT_RELAYED}
        return Reply(reply.content, reply.status_code, reply.headers.get("content-type"), kept)


@pytest.fixture
def replicas(fake_slack: FakeSlack, tmp_path: Path, slack_kb: Any) -> Iterator[tuple[Andon, Running, Running]]:
    require_postgres()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with scratch_database("andon_replicas") as url:
        first = launch(fake_slack, tmp_path / "a", slack_kb, database_url=url)
        second = launch(fake_slack, tmp_path / "b", slack_kb, database_url=url)
        with (
            httpx.Client(timeout=10) as forwarding,
            recording_server(fallback=RoundRobin([str(first.url), str(second.url)], forwarding)) as proxy,
            httpx.Client(timeout=10) as client,
        ):
            proxied = Running(desk=first.desk, app=first.app, http=proxy)  # type: ignore[arg-type]
            yield Andon(fake_slack, proxied, client), first, second
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
