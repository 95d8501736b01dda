"""The ``andon`` entry point: registers every command group; each lives in its own module."""

from __future__ import annotations

import gc

import typer

from bot.cli import tools_cmd
from bot.cli.investigate import investigate

app = typer.Typer(name="andon", help="Andon — a self-hosted AI SRE for Slack. Investigates incidents, ranks root "
                  "causes with evidence, and proposes fixes that run only after approval.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
app.command()(investigate)
app.add_typer(tools_cmd.app, name="tools")


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"andon {version('andon')}")
        except PackageNotFoundError:
            typer.echo("andon (not installed as a package)")
        raise typer.Exit()


@app.callback()
def _main(show_version: bool = typer.Option(False, "--version", help="print the version and exit",
                                            callback=_print_version, is_eager=True)) -> None:
    """Andon — a self-hosted AI SRE for Slack."""


def _register_optional() -> None:
    """Command groups from the other modules (knowledge, evals, Slack, lab…)."""
    import importlib

    for module, name, kind in [("bot.cli.kb", "kb", "group"), ("bot.cli.evals", "eval", "command"),
                               ("bot.cli.incident", "incident", "group"), ("bot.cli.audit", "audit", "group"),
                               ("bot.cli.lab", "lab", "group"), ("bot.cli.serve", "serve", "command"),
                               ("bot.cli.demo", "demo", "command"), ("bot.cli.chat", "chat", "command"),
                               ("bot.cli.bench", "bench", "command"),
                               ("bot.cli.tune", "tune", "command"), ("bot.cli.doctor", "doctor", "command"),
                               ("bot.cli.watch", "watch", "command")]:
        try:
            loaded = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue
            raise
        if kind == "group":
            app.add_typer(loaded.app, name=name)
        else:
            app.command(name)(getattr(loaded, name))


def run() -> None:
    _register_optional()
    try:
        app()
    finally:
        # A command leaves ~a million objects (the graph, Chroma, pydantic schemas) that the interpreter's
        # teardown would walk in several full garbage collections (~1 s of a 5 s `andon investigate`) only
        # to hand the memory back to the OS anyway. Frozen, teardown skips them; atexit handlers, flushing
        # and reference-counted cleanup still run as usual.
        gc.freeze()


if __name__ == "__main__":
    run()
