"""``andon chat``: try the Slack flow in the terminal — incident, progress, RCA card (a sparkline on each
evidence line that describes a series), approval cards (``approve <n>`` as ``--as-user``, under the same
policy), follow-up questions and ``/andon`` commands."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.text import Text

from bot.cli.common import console, fail, settings_or_exit
from bot.cli.mrkdwn import mrkdwn_to_rich


def chat(
    telemetry: Path | None = typer.Option(
        None, "--telemetry", help="replay telemetry from this fixture instead of live backends"
    ),
    as_user: str = typer.Option(
        "U-CONSOLE", "--as-user", help="the Slack user id you act as (approvals follow the policy for this id)"
    ),
    approvers: str | None = typer.Option(
        None, "--approvers", help="comma-separated user ids added to the policy's approvers for this session"
    ),
    reasoner: str | None = typer.Option(None, "--reasoner", help="rules (default, no LLM) or llm"),
) -> None:
    """A local console channel: the same cards and approval rules as Slack, without a workspace."""
    from bot.chat.deps import QueuedExecutor, build_deps
    from bot.chat.desk import Desk
    from bot.cli.console import ChatSession, ConsoleWorkspace
    from bot.policy import PolicyError, load_policy
    from bot.settings import SettingsError

    settings = settings_or_exit(reasoner=reasoner)
    settings.incident_channels = ["console"]
    try:
        policy = load_policy(
            settings.policy_file, approvers=[a.strip() for a in (approvers or "").split(",") if a.strip()]
        )
    except PolicyError as exc:
        fail(str(exc))
    workspace = ConsoleWorkspace(console, render=mrkdwn_to_rich)
    executor = QueuedExecutor()
    try:
        deps = build_deps(
            settings, workspace, telemetry=telemetry, executor=executor, policy=policy, charts="sparklines"
        )
    except (SettingsError, ValueError) as exc:
        fail(str(exc))
    if as_user not in policy.approvers:
        console.print(
            Text(
                f"{as_user} is not an approver in the policy: approvals will be refused "
                f"(add --approvers {as_user} to try them).",
                style="dim",
            )
        )
    ChatSession(Desk(deps), workspace, as_user, executor).run(_lines())


def _lines() -> Iterator[str]:
    """Typed lines (interactive), or piped ones echoed so a transcript reads like a conversation."""
    interactive = sys.stdin.isatty()
    while True:
        try:
            line = console.input("[bold green]you>[/] ") if interactive else sys.stdin.readline()
        except EOFError:
            return
        if not interactive:
            if not line:
                return
            console.print(Text(f"you> {line.rstrip()}", style="bold green"))
        yield line
