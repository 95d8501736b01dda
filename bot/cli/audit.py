"""``andon audit list``: every proposal, decision and execution — who, when, what, with which parameters,
and the result — from the incident store (SQLite in the data dir, or PostgreSQL), then the last
``andon demo``'s, which it keeps in its lab."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from bot.cli.common import console, demo_store_dir, print_json, settings_or_exit
from bot.cli.tables import Col, fitted_table
from bot.report_view import shorten

__all__ = ["app", "list_entries", "format_when"]

app = typer.Typer(help="The audit log: proposals, decisions, executions and refusals.", no_args_is_help=True)


def format_when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at)) + "Z"


def _args(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in value.items())
    return json.dumps(value)


def _read(database_url: str | None, data_dir: Path, incident: str | None) -> list[dict[str, Any]]:
    from bot.store import open_store

    store = open_store(database_url, data_dir)
    try:
        return store.audit_log(incident)
    finally:
        store.db.close()


def _demo_log(data_dir: Path, incident: str | None) -> tuple[Path, list[dict[str, Any]]]:
    """The last ``andon demo``'s entries (kept in the lab, apart from the real store), if a demo ran here."""
    from bot.store.db import sqlite_path

    where = demo_store_dir(data_dir)
    return where, (_read(None, where, incident) if sqlite_path(where).exists() else [])


PARAMETERS_CHARS = 200
"""Longest parameters shown in the table (a received trigger can be a whole webhook; --json keeps it all)."""


AUDIT_COLUMNS = (
    Col("when (UTC)", drop=3),
    Col("incident"),
    Col("event"),
    Col("who", drop=2),
    Col("tool"),
    Col("parameters", drop=1),
    Col("detail / result"),
)
"""What a narrow terminal loses first: the parameters (an execution's detail says what it did; a received
webhook's are long JSON), then who, then when; the incident id is never cut."""


def _table(entries: list[dict[str, Any]], title: str, caption: str | None = None) -> Table:
    rows = [
        [
            Text(cell)
            for cell in (
                format_when(float(entry["at"])),
                str(entry["incident_id"] or ""),
                str(entry["event"]),
                str(entry["by"] or ""),
                str(entry["tool"] or ""),
                shorten(_args(entry["args"]), PARAMETERS_CHARS),
                str(entry["detail"] or ""),
            )
        ]
        for entry in entries
    ]
    return fitted_table(console, AUDIT_COLUMNS, rows, title=title, caption=caption)


def _count(entries: list[dict[str, Any]]) -> str:
    return f"{len(entries)} audit entr{'y' if len(entries) == 1 else 'ies'}"


@app.command("list")
def list_entries(
    incident: str | None = typer.Option(None, "--incident", help="only this incident's entries"),
    as_json: bool = typer.Option(
        False,
        "--json",
        help='print the entries as a JSON array; each has "log": '
        '"andon" (the incident store) or "demo" (the last andon demo, kept in the lab)',
    ),
) -> None:
    """Every proposal, decision, execution and refusal, oldest first; then those of the last `andon demo`,
    which keeps its own log in the lab (<data dir>/lab/andon), labelled apart."""
    settings = settings_or_exit()
    entries = _read(settings.database_url, settings.data_dir, incident)
    demo_dir, demo = _demo_log(settings.data_dir, incident)
    if as_json:
        print_json([{**e, "log": "andon"} for e in entries] + [{**e, "log": "demo"} for e in demo])
        return
    scope = f" for {incident}" if incident else ""
    if not entries and not demo:
        console.print("no audit entries" + scope)
        return
    if entries:
        console.print(_table(entries, _count(entries) + scope))
    else:
        console.print("no audit entries in the incident store" + scope)
    if demo:
        console.print(
            _table(
                demo,
                f"the last andon demo: {_count(demo)}{scope}",
                caption=f"actions on the demo's lab, kept apart in {demo_dir} (`andon lab up` starts it afresh)",
            )
        )
