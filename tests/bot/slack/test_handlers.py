"""Bolt handlers on their own: a slash command is acknowledged within its budget even when its answer is
slow (the answer follows through response_url) or fails (the ack says why); chat messages are taken in on the
desk's threads, not Bolt's listener threads, or written as jobs for the worker process."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest

from bot.chat.blocks.kit import section
from bot.chat.commands import CommandReply, CommandRequest, Commands
from bot.chat.conversations import InboundMessage
from bot.chat.desk import Desk
from bot.slack import handlers


class Recorder:
    """Stands in for Bolt's ``ack`` and ``respond``: records each call with the time it came."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, dict[str, Any]]] = []
        self.done = threading.Event()

    def __call__(self, **kwargs: Any) -> None:
        self.calls.append((time.monotonic(), kwargs))
        self.done.set()


class SlowCommands:
    def __init__(self, seconds: float, fail: bool = False) -> None:
        self.seconds = seconds
        self.fail = fail

    at_once = staticmethod(Commands.at_once)

    @staticmethod
    def first_delivery(trigger_id: str) -> bool:
        return True

    def handle(self, request: CommandRequest) -> CommandReply:
        time.sleep(self.seconds)
        if self.fail:
            raise RuntimeError("the store is locked")
        return CommandReply([section(f"answer to {request.text}")], public=True)


def _run(commands: SlowCommands) -> tuple[float, Recorder, Recorder]:
    ack, respond = Recorder(), Recorder()
    handle = handlers.on_command(SimpleNamespace(commands=commands))  # type: ignore[arg-type]
    started = time.monotonic()
    handle(ack=ack, body={"text": "status", "user_id": "U1", "channel_id": "C1"}, respond=respond)
    return started, ack, respond


@pytest.fixture(autouse=True)
def short_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers, "ACK_BUDGET_S", 0.2)


def test_a_quick_answer_goes_out_with_the_ack() -> None:
    _, ack, respond = _run(SlowCommands(0.0))
    assert len(ack.calls) == 1 and not respond.calls
    assert ack.calls[0][1]["response_type"] == "in_channel" and "answer to status" in str(ack.calls[0][1]["blocks"])


def test_a_slow_answer_is_acknowledged_within_the_budget_and_follows_through_response_url() -> None:
    started, ack, respond = _run(SlowCommands(0.8))
    assert len(ack.calls) == 1 and ack.calls[0][0] - started < 0.6, "acked at the budget, not after the answer"
    assert "Working on `/andon status`" in ack.calls[0][1]["text"]
    assert respond.done.wait(5.0), "the answer never followed"
    late = respond.calls[0][1]
    assert "answer to status" in str(late["blocks"]) and late["response_type"] == "in_channel"
    assert late["replace_original"] is False


@pytest.mark.parametrize("seconds", [0.0, 0.8])
def test_a_failing_command_says_why_instead_of_timing_out(seconds: float) -> None:
    _, ack, respond = _run(SlowCommands(seconds, fail=True))
    assert len(ack.calls) == 1
    said = ack.calls[0][1]["text"] if seconds == 0.0 else (respond.done.wait(5.0), str(respond.calls[0][1]))[1]
    assert "RuntimeError: the store is locked" in said


def test_a_mention_frees_the_listener_thread_while_it_is_taken_in() -> None:
    """Bolt's listener threads also answer slash commands and clicks: a mention opening an incident (database
    writes, a post to Slack) must not hold one of them."""
    desk = Desk.__new__(Desk)  # only the intake: no dependencies needed
    desk._inbound = ThreadPoolExecutor(max_workers=1, thread_name_prefix="andon-inbound")
    desk.messages = SimpleNamespace(elsewhere=False)  # type: ignore[assignment]  # not handed to a worker process
    release, taken = threading.Event(), threading.Event()
    seen: list[str] = []

    def receive(message: InboundMessage) -> str:
        release.wait(5.0)
        seen.append(f"{threading.current_thread().name} {message.text}")
        taken.set()
        return "opened"

    desk.conversations = SimpleNamespace(receive=receive)  # type: ignore[assignment]
    handlers.on_mention(desk)(
        body={"event_id": "Ev1"}, event={"type": "app_mention", "text": "checkout 5xx", "channel": "C1", "ts": "1.0"}
    )
    assert not taken.is_set(), "the handler waited for the intake"
    release.set()
    assert taken.wait(5.0) and seen[0].startswith("andon-inbound") and seen[0].endswith("checkout 5xx")


class WrittenJobs:
    """Stands in for the desk's message jobs once handed to the worker process: records what is written."""

    elsewhere = True

    def __init__(self) -> None:
        self.written: list[tuple[str, dict[str, Any]]] = []

    def accept(self, kind: str, payload: dict[str, Any], context: Any = None) -> str:
        self.written.append((kind, payload))
        return f"{kind}:1"


def test_a_message_handed_to_the_worker_process_is_a_job_written_before_the_handler_returns() -> None:
    """Bolt answers Slack when the handler returns: by then the message is in the store, for the worker
    process to take in (and for a restart to find), and nothing of it ran in the serving process."""
    desk = Desk.__new__(Desk)
    desk.messages = WrittenJobs()  # type: ignore[assignment]
    taken_in: list[InboundMessage] = []
    desk.conversations = SimpleNamespace(
        receive=taken_in.append,  # type: ignore[assignment]
        concerns=lambda m: m.mention or m.channel == "CINCIDENT1",
    )
    handlers.on_mention(desk)(
        body={"event_id": "Ev1"},
        event={"type": "app_mention", "text": "<@UBOT> checkout 5xx", "channel": "C1", "ts": "1.0", "user": "U1"},
    )
    handlers.on_message(desk)(
        body={"event_id": "Ev2"},
        event={"type": "message", "text": "lunch?", "channel": "CRANDOM", "ts": "2.0", "user": "U2"},
    )
    handlers.on_message(desk)(
        body={"event_id": "Ev3"},
        event={"type": "message", "text": "db is down", "channel": "CINCIDENT1", "ts": "3.0", "user": "U3"},
    )
    assert not taken_in, "taken in by the serving process"
    assert [(kind, p["event_id"], p["mention"]) for kind, p in desk.messages.written] == [  # type: ignore[attr-defined]
        ("message", "Ev1", True),
        ("message", "Ev3", False),
    ], "a message nobody could act on is not a job"
    payload = desk.messages.written[0][1]  # type: ignore[attr-defined]
    assert InboundMessage(**payload) == InboundMessage(
        channel="C1", ts="1.0", text="<@UBOT> checkout 5xx", user="U1", event_id="Ev1", mention=True
    )
