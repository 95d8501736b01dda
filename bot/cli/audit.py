"""``andon audit list``: every proposal, decision and execution — who, when, what, with which parameters,
and the result — from the incident store (SQLite in the data dir, or PostgreSQL)."""

from __future__ import annotations

import json
import time
from typing import Any

import typer
from rich.table import Table

from bot.cli.common import console, print_json, settings_or_exit

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


@app.command("list")
def list_entries(
    incident: str | None = typer.Option(None, "--incident", help="only this incident's entries"),
    as_json: bool = typer.Option(False, "--json", help="print the entries as a JSON array"),
) -> None:
    """Every proposal, decision, execution and refusal, oldest first."""
    from bot.store import open_store

    settings = settings_or_exit()
    store = open_store(settings.database_url, settings.data_dir)
    try:
        entries = store.audit_log(incident)
    finally:
        store.db.close()
    if as_json:
        print_json(entries)
        return
    if not entries:
        console.print("no audit entries" + (f" for {incident}" if incident else ""))
        return
    table = Table(title=f"{len(entries)} audit entries" + (f" for {incident}" if incident else ""))
    for column in ("when (UTC)", "incident", "event", "who", "tool", "parameters", "detail / result"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(format_when(float(entry["at"])), str(entry["incident_id"] or ""), str(entry["event"]),
                      str(entry["by"] or ""), str(entry["tool"] or ""), _args(entry["args"]), str(entry["detail"] or ""))
    console.print(table)
