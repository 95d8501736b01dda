"""Shared CLI plumbing: settings with friendly errors, the console, JSON output, where ``andon demo`` keeps
its store.

Shared by every command, the evals' (``evals.cli``) and the benchmarks' (``bench.cli``) too. Every command
module is imported to build ``andon --help``, so they import their heavy dependencies (settings, the graph,
Chroma, the tools) inside the commands, not at the top."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["console", "err_console", "settings_or_exit", "fail", "print_json", "startup", "demo_store_dir"]

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` as one line (never wrapped, nothing in it read as markup) and exit with ``code``."""
    err_console.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)
    raise typer.Exit(code)


def settings_or_exit(**overrides: Any) -> Settings:
    from bot.settings import SettingsError, load_settings

    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        fail(str(exc))


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


@contextmanager
def startup() -> Iterator[None]:
    """Import and open what a command keeps for its whole run (the graph, Chroma, the tools) with the cyclic
    garbage collector paused, then freeze it. Those ~a million long-lived objects are not garbage, yet every
    full collection while they are being built walks all of them again (~0.5 s of ``andon investigate``);
    frozen, later collections skip them. The collector is back on for the command's own work."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def demo_store_dir(data_dir: Path) -> Path:
    """Where ``andon demo`` keeps its incidents, approvals and audit log: in the lab it runs (``<data_dir>/lab``),
    apart from the real store, so lab actions never count against real rate limits or mix with real audit
    entries. ``andon audit list`` shows them too, labelled; ``andon lab up`` starts them afresh."""
    return (Path(data_dir) / "lab").resolve() / "andon"
