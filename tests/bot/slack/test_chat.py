"""``andon chat``: the same Desk and cards in a console, with typed approvals under the same policy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bot.policy import load_policy
from bot.settings import load_settings
from bot.slack.console import ChatSession, ConsoleWorkspace
from bot.slack.desk import Desk
from bot.slack.services import QueuedExecutor, build_services
from tests.bot.slack.conftest import ROOT, TELEMETRY


def _session(tmp_path: Path, kb: Any, user: str) -> tuple[ChatSession, Console, Desk]:
    console = Console(record=True, width=140, color_system=None)
    settings = load_settings(data_dir=tmp_path / "data", incident_channels=["console"])
    workspace = ConsoleWorkspace(console)
    executor = QueuedExecutor()
    services = build_services(settings, workspace, telemetry=TELEMETRY, kb=kb, executor=executor,
                              policy=load_policy(approvers=["UAPPROVER1"]), charts="sparklines")  # as `andon chat`
    desk = Desk(services)
    return ChatSession(desk, workspace, user, executor), console, desk


def test_console_flow_with_the_same_approval_rules(tmp_path: Path, slack_kb: Any) -> None:
    session, console, desk = _session(tmp_path, slack_kb, user="UOUTSIDER")
    session.run(["checkout 5xx since 10:02, started after deploy", "show the error logs", "approve 1",
                 "as UAPPROVER1", "approve 1", "approve 1", "/andon status", "/andon nonsense", "quit",
                 "never read"])
    out = console.export_text()
    assert "ROOT CAUSE ANALYSIS" in out and "card 1: type `approve 1`" in out
    assert "NullPointerException" in out
    assert re.search(r"checkout error_ratio: 0\.002876 → 0\.3094 \(z=61\.6\)\s+▁+[▁-█]*█", out), \
        "the series behind an evidence line, as a sparkline at its end"
    assert "(only visible to UOUTSIDER) Only approvers" in out
    assert "Outcome: executed" in out and "Not recovered yet" in out
    assert "no longer waiting" in out, "a second approve after the decision changes nothing"
    assert out.index("Only approvers") < out.index("Outcome: executed")
    assert "I don't know `nonsense`" in out and "never read" not in out
    executed = [e for e in desk.services.sources.actuator.executed if not e["dry_run"]]  # type: ignore[union-attr]
    assert len(executed) == 1


@pytest.mark.slow
def test_andon_chat_command_runs_with_fixture_telemetry(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANDON_", "SLACK_", "OPENAI_"))}
    env.update(ANDON_DATA_DIR=str(tmp_path / "data"), ANDON_CONFIG_FILE=str(tmp_path / "none.yaml"), COLUMNS="140")
    script = "checkout 5xx since 10:02, started after deploy\napprove 1\nquit\n"
    result = subprocess.run([sys.executable, "-m", "bot.cli.main", "chat", "--telemetry",
                             "examples/alerts/checkout-bad-deploy.telemetry.yaml", "--as-user", "U123",
                             "--approvers", "U123"], input=script, capture_output=True, text=True, cwd=ROOT, env=env,
                            timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ROOT CAUSE ANALYSIS" in result.stdout and "Outcome: executed" in result.stdout
