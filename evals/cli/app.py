"""The evals' contribution to ``andon``: a Typer sub-app of the commands over scenarios and the lab. The
``andon`` package merges it into the root app beside the bot's and the benchmarks'.

Every module here is imported to build ``andon --help``, so each command imports its heavy dependencies
(the runner, the lab, the graph) when it runs, not at the top."""

from __future__ import annotations

import typer

from evals.cli import eval_cmd, lab
from evals.cli.demo import demo
from evals.cli.tune import tune

__all__ = ["app"]

app = typer.Typer()
app.command("eval")(eval_cmd.eval)
app.command()(demo)
app.command()(tune)
app.add_typer(lab.app, name="lab")
