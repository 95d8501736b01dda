"""``andon serve``'s worker process: investigations and chat messages run there, not in the process that
answers Slack; a worker that dies is started again; stopping the server ends it."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.fake_slack import FakeSlack
from bot.chat.conversations import Conversations
from bot.chat.ids import BlockId
from bot.settings import load_settings
from bot.slack.runner import Running, start
from bot.slack.worker import NICENESS
from tests.support.net import free_port
from tests.support.served_slack import ALERT, CHANNEL, SECRET, TELEMETRY, Andon

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@contextmanager
def with_worker_process(fake: FakeSlack, tmp_path: Path, kb: Any) -> Iterator[Andon]:
    config = load_settings(
        data_dir=tmp_path / "data",
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_api_url=fake.api_url,
        incident_channels=[CHANNEL],
    )
    running = start(config, mode="http", port=free_port(), telemetry=TELEMETRY, kb=kb, worker="process")
    try:
        with httpx.Client(timeout=10) as client:
            yield Andon(fake, running, client)
    finally:
        running.stop()


def _alert(tag: str) -> dict[str, Any]:
    alert: dict[str, Any] = json.loads(ALERT.read_text())
    alert["groupKey"] = f"{alert.get('groupKey', '')}:{tag}"
    return alert


def _jobs(running: Running) -> list[tuple[str, bool, bool]]:
    with running.desk.deps.store.db.transaction() as cur:
        rows = cur.execute("SELECT kind, started_at, done_at FROM jobs ORDER BY created_at").fetchall()
    return [(kind, started is not None, done is not None) for kind, started, done in rows]


def _investigations_counted(andon: Andon) -> float:
    text = andon.http.get(f"{andon.url}/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("andon_investigations_total{")
    )


def test_investigations_run_in_the_worker_process_not_in_the_one_answering_slack(
    fake_slack: FakeSlack, tmp_path: Path, slack_kb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    investigated_here: list[int] = []
    taken_in_here: list[int] = []
    original, receive = Conversations.investigate, Conversations.receive

    def recording(self: Conversations, *args: Any) -> None:
        investigated_here.append(os.getpid())
        original(self, *args)

    def receiving(self: Conversations, *args: Any) -> str:
        taken_in_here.append(os.getpid())
        return receive(self, *args)

    monkeypatch.setattr(Conversations, "investigate", recording)  # this process only: the worker is spawned
    monkeypatch.setattr(Conversations, "receive", receiving)
    with with_worker_process(fake_slack, tmp_path, slack_kb) as andon:
        assert andon.running.worker is not None
        assert andon.http.post(f"{andon.url}/alertmanager", json=_alert("worker")).status_code == 202
        assert andon.command("investigate checkout 5xx since 10:02").status_code == 200
        assert (
            andon.mention(
                "payments latency since 10:05", ts="1700000400.000100", event_id="EvWorker1", channel=CHANNEL
            ).status_code
            == 200
        )
        fake_slack.wait_for(
            lambda: len(fake_slack.posts_with(BlockId.RCA_HEADER)) >= 3, timeout=180, what="the three RCA cards"
        )
        worker_pid = andon.running.worker.pid
        assert worker_pid is not None and worker_pid != os.getpid()
        assert os.getpriority(os.PRIO_PROCESS, worker_pid) == min(os.getpriority(os.PRIO_PROCESS, 0) + NICENESS, 19), (
            "the worker yields the CPU to the process answering Slack"
        )
        fake_slack.wait_for(lambda: all(done for _, _, done in _jobs(andon.running)), what="the jobs marked done")
        jobs = _jobs(andon.running)
        counted = fake_slack.wait_for(
            lambda: _investigations_counted(andon) == 3.0 and 3.0, what="the three investigations in /metrics"
        )
    assert investigated_here == [] and taken_in_here == [], "the serving process investigated and took in nothing"
    assert counted == 3.0, "/metrics counts the investigations the worker ran"
    assert sorted(kind for kind, _, _ in jobs) == ["call:investigate"] * 3 + ["investigate", "message"], (
        "the alert's investigation; the command and the mention, and the investigation each opened (the worker's)"
    )
    assert len(fake_slack.posts_with(BlockId.RCA_HEADER)) == 3, "each investigated once"


def test_a_worker_process_that_dies_is_started_again_and_stopping_ends_it(
    fake_slack: FakeSlack, tmp_path: Path, slack_kb: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import signal
    import threading
    import time

    caplog.set_level(logging.WARNING, logger="bot.slack.worker")
    with with_worker_process(fake_slack, tmp_path, slack_kb) as andon:
        worker = andon.running.worker
        assert worker is not None and worker.pid is not None
        first = worker.pid
        time.sleep(0.5)  # ready: it waits to be woken
        os.kill(first, signal.SIGKILL)
        ringing = threading.Thread(target=worker.wake, daemon=True)
        ringing.start()
        ringing.join(5.0)
        assert not ringing.is_alive(), "waking a worker that died while waiting returns at once"
        fake_slack.wait_for(lambda: worker.started == 2, timeout=30, what="another worker process")
        assert worker.pid != first
        restarts = [r for r in caplog.records if "exited" in r.getMessage()]
        assert len(restarts) == 1 and str(first) in restarts[0].getMessage()
        assert andon.http.post(f"{andon.url}/alertmanager", json=_alert("after-restart")).status_code == 202
        fake_slack.wait_for(
            lambda: fake_slack.posts_with(BlockId.RCA_HEADER), timeout=180, what="the RCA card from the new worker"
        )
        second = worker.pid
    assert second is not None
    with pytest.raises(ProcessLookupError):
        os.kill(second, 0)  # stopped with the server (and reaped)
