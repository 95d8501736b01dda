"""The bot's contribution to ``andon``: a Typer sub-app of the commands over the bot itself (investigate, the
Slack bot, the console channel, the watch, the knowledge base, incidents, the audit log, the tools). The
``andon`` package merges it into the root app beside the evals' and the benchmarks'.

Every module here is imported to build ``andon --help``, so each command imports its heavy dependencies
when it runs, not at the top."""

from __future__ import annotations

import typer

from bot.cli import audit, incident, kb, tools_cmd
from bot.cli.chat import chat
from bot.cli.doctor import doctor
from bot.cli.investigate import investigate
from bot.cli.serve import serve
from bot.cli.watch import watch

__all__ = ["app"]

app = typer.Typer()
app.command()(investigate)
app.command()(serve)
app.command()(chat)
app.command()(doctor)
app.command()(watch)
app.add_typer(tools_cmd.app, name="tools")
app.add_typer(kb.app, name="kb")
app.add_typer(incident.app, name="incident")
app.add_typer(audit.app, name="audit")
