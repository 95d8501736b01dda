"""``andon chat``: the same Desk and cards in a console, with typed approvals under the same policy."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.text import Text

from bot.chat.deps import NO_TELEMETRY, QueuedExecutor, build_deps
from bot.chat.desk import Desk
from bot.cli.console import ChatSession, ConsoleWorkspace
from bot.cli.mrkdwn import mrkdwn_to_rich
from bot.policy import load_policy
from bot.settings import load_settings
from tests.support.served_slack import ROOT, TELEMETRY


def _session(
    tmp_path: Path, kb: Any, user: str, render: Callable[[str], Text] = Text
) -> tuple[ChatSession, Console, Desk]:
    console = Console(record=True, width=140, color_system=None)
    settings = load_settings(data_dir=tmp_path / "data", incident_channels=["console"])
    workspace = ConsoleWorkspace(console, render=render)
    executor = QueuedExecutor()
    deps = build_deps(
        settings,
        workspace,
        telemetry=TELEMETRY,
        kb=kb,
        executor=executor,
        policy=load_policy(approvers=["UAPPROVER1"]),
        charts="sparklines",
    )  # as `andon chat`
    desk = Desk(deps)
    return ChatSession(desk, workspace, user, executor), console, desk


def test_console_flow_with_the_same_approval_rules(tmp_path: Path, slack_kb: Any) -> None:
    session, console, desk = _session(tmp_path, slack_kb, user="UOUTSIDER")
    session.run(
        [
            "checkout 5xx since 10:02, started after deploy",
            "show the error logs",
            "approve 1",
            "as UAPPROVER1",
            "approve 1",
            "approve 1",
            "/andon status",
            "/andon nonsense",
            "quit",
            "never read",
        ]
    )
    out = console.export_text()
    assert "ROOT CAUSE ANALYSIS" in out and "card 1: type `approve 1`" in out
    assert "NullPointerException" in out
    assert re.search(r"checkout error_ratio: 0\.002876 → 0\.3094 \(z=61\.6\)\s+▁+[▁-█]*█", out), (
        "the series behind an evidence line, as a sparkline at its end"
    )
    assert "(only visible to UOUTSIDER) Only approvers" in out
    assert "Outcome: executed" in out and "Not verified:* replayed telemetry cannot show a recovery" in out
    assert "Not recovered yet" not in out, "a replay cannot recover, and says so rather than report a failure"
    assert "no longer waiting" in out, "a second approve after the decision changes nothing"
    assert "*Status:* fix executed" in out and "*Actions:* `rollback_deploy` executed · recovery not verified" in out
    assert out.index("Only approvers") < out.index("Outcome: executed")
    assert "I don't know `nonsense`" in out and "never read" not in out
    executed = [e for e in desk.deps.sources.actuator.executed if not e["dry_run"]]  # type: ignore[union-attr]
    assert len(executed) == 1


def test_a_second_session_hears_its_first_message(tmp_path: Path, slack_kb: Any) -> None:
    """Both sessions share the data dir and its message dedupe: the second's first message is new, not a retry."""
    first, _, desk = _session(tmp_path, slack_kb, user="UAPPROVER1")
    first.run(["checkout 5xx since 10:02, started after deploy", "quit"])
    second, console, desk = _session(tmp_path, slack_kb, user="UAPPROVER1")
    second.run(["checkout 5xx again since 10:02", "quit"])
    out = console.export_text()
    assert "ROOT CAUSE ANALYSIS" in out and "checkout 5xx again" in out
    assert len(desk.deps.store.list()) == 2


def test_the_console_styles_slack_markup_instead_of_printing_it(tmp_path: Path, slack_kb: Any) -> None:
    session, console, _ = _session(tmp_path, slack_kb, user="UAPPROVER1", render=mrkdwn_to_rich)  # as `andon chat`
    session.run(["checkout 5xx since 10:02, started after deploy", "approve 1", "quit"])
    out = console.export_text()
    assert "Most likely root cause: bad deploy on checkout" in out and "Outcome: executed" in out
    for markup in ("*Most likely", "*Outcome", "`rollback_deploy`", "```", "&lt;", "&gt;", "<@"):
        assert markup not in out, markup
    assert "approved by @UAPPROVER1" in out


def test_without_telemetry_the_session_is_degraded_and_says_so(
    tmp_path: Path, slack_kb: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """No ANDON_PROMETHEUS_URL and no fixture (as `andon serve` may first be started): a labelled degraded mode in
    which commands answer and an investigation says it had nothing to read, instead of refusing to start."""
    console = Console(record=True, width=140, color_system=None)
    settings = load_settings(data_dir=tmp_path / "data", incident_channels=["console"], prometheus_url="")
    workspace, executor = ConsoleWorkspace(console), QueuedExecutor()
    with caplog.at_level(logging.WARNING, logger="bot.chat.deps"):
        deps = build_deps(
            settings,
            workspace,
            kb=slack_kb,
            executor=executor,
            policy=load_policy(approvers=["UAPPROVER1"]),
            charts="off",
        )
    assert NO_TELEMETRY in caplog.text and "degraded mode" in NO_TELEMETRY
    ChatSession(Desk(deps), workspace, "UAPPROVER1", executor).run(
        ["/andon help", "/andon runbook db pool exhaustion", "checkout 5xx since 10:02", "quit"]
    )
    out = console.export_text()
    assert "/andon investigate <what is wrong>" in out and "rb-db-connection-pool-exhaustion" in out
    assert "Inconclusive: no hypothesis could be formed; could not read metrics" in out


@pytest.mark.slow
def test_andon_chat_command_runs_with_fixture_telemetry(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANDON_", "SLACK_", "OPENAI_"))}
    env.update(ANDON_DATA_DIR=str(tmp_path / "data"), ANDON_CONFIG_FILE=str(tmp_path / "none.yaml"), COLUMNS="140")
    script = "checkout 5xx since 10:02, started after deploy\napprove 1\nquit\n"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "andon",
            "chat",
            "--telemetry",
            "examples/alerts/checkout-bad-deploy.telemetry.yaml",
            "--as-user",
            "U123",
            "--approvers",
            "U123",
        ],
        input=script,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ROOT CAUSE ANALYSIS" in result.stdout and "Outcome: executed" in result.stdout
