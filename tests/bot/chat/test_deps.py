"""Stopping the work pool is orderly: queued work is cancelled, running work finishes, and what running work
submits after the stop (an RCA card's charts, an alert's investigation) is dropped with one log line — never
a ``cannot schedule new futures after shutdown`` traceback."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest

from bot.chat.deps import ChatDeps
from bot.slack.runner import Running


def _deps(executor: ThreadPoolExecutor) -> ChatDeps:
    """Only the pool matters here: the rest is never touched by ``submit`` and ``stop``."""
    none: Any = None
    return ChatDeps(
        settings=none,
        store=none,
        workspace=none,
        policy=none,
        sources=none,
        kb=none,
        registry=none,
        checkpointer=none,
        executor=executor,
    )


def test_work_submitted_by_running_work_after_the_stop_is_dropped_quietly(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.chat.deps")
    pool = ThreadPoolExecutor(max_workers=1)
    deps = _deps(pool)
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def post_charts() -> None:
        ran.append("charts")

    def queued() -> None:
        ran.append("queued")

    def investigate() -> None:
        started.set()
        release.wait(10)
        ran.append("investigation")
        deps.submit(post_charts)  # as Conversations.publish does once the card is posted

    deps.submit(investigate)
    assert started.wait(10)
    deps.submit(queued)  # behind the running investigation: cancelled by the stop
    running = Running(desk=SimpleNamespace(deps=deps), app=None, http=None)  # type: ignore[arg-type]
    running.stop()  # what `andon serve` (thread workers) and the benchmarks' in-process server do
    release.set()
    pool.shutdown(wait=True)

    assert ran == ["investigation"], "running work finishes; queued work and later submissions do not start"
    assert "cannot schedule new futures" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("bot.")], caplog.text
    assert "stopping: post_charts not started" in caplog.text


def test_a_pool_shut_down_behind_the_services_back_still_fails_loudly() -> None:
    pool = ThreadPoolExecutor(max_workers=1)
    pool.shutdown()
    with pytest.raises(RuntimeError):  # not a stop: a bug to see, not something to drop
        _deps(pool).submit(print)
