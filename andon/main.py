"""The ``andon`` entry point: the root Typer app, into which the bot's, the evals' and the benchmarks'
sub-apps merge their commands, each package its own."""

from __future__ import annotations

import gc
from typing import Any

import typer
from typer.core import TyperGroup

from bench.cli import app as bench_app
from bot.cli.app import app as bot_app
from evals.cli.app import app as evals_app

__all__ = ["app", "run"]

LISTED = (
    "investigate",
    "eval",
    "serve",
    "demo",
    "chat",
    "bench",
    "tune",
    "doctor",
    "watch",
    "tools",
    "kb",
    "incident",
    "audit",
    "lab",
)
"""The order ``andon --help`` lists the commands in: the single commands, then the command groups."""


class _Listed(TyperGroup):
    """The root command group, listing its commands in the order of ``LISTED`` (any other one last)."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        return sorted(names, key=lambda name: LISTED.index(name) if name in LISTED else len(LISTED))


app = typer.Typer(
    name="andon",
    cls=_Listed,
    help="Andon — a self-hosted AI SRE for Slack. Investigates "
    "incidents, ranks root causes with evidence, and proposes fixes that run only after "
    "approval.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(bot_app)
app.add_typer(evals_app)
app.add_typer(bench_app)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"andon {version('andon')}")
        except PackageNotFoundError:
            typer.echo("andon (not installed as a package)")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: bool = typer.Option(
        False, "--version", help="print the version and exit", callback=_print_version, is_eager=True
    ),
) -> None:
    """Andon — a self-hosted AI SRE for Slack."""


def run() -> None:
    try:
        app()
    finally:
        # A command leaves ~a million objects (the graph, Chroma, pydantic schemas) that the interpreter's
        # teardown would walk in several full garbage collections (~1 s of a 5 s `andon investigate`) only
        # to hand the memory back to the OS anyway. Frozen, teardown skips them; atexit handlers, flushing
        # and reference-counted cleanup still run as usual.
        gc.freeze()
