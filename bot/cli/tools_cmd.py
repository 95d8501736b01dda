"""``andon tools list``: every tool with its risk and JSON schema."""

from __future__ import annotations

import typer
from rich.table import Table

from bot.cli.common import console, print_json

app = typer.Typer(help="Inspect the tools the agent can use.", no_args_is_help=True)


@app.command("list")
def list_tools(as_json: bool = typer.Option(False, "--json", help="print JSON to stdout")) -> None:
    """List every tool with its group, risk and argument schema."""
    from tools import default_registry

    registry = default_registry()
    tools = registry.all()
    if as_json:
        print_json([{"name": t.name, "group": t.group, "risk": t.risk.value, "description": t.description,
                     "schema": t.json_schema()} for t in tools])
        return
    table = Table(title=f"{len(tools)} tools")
    for column in ("name", "group", "risk", "description"):
        table.add_column(column)
    for tool in tools:
        style = {"read": "green", "write": "yellow", "destructive": "red"}[tool.risk.value]
        table.add_row(tool.name, tool.group, f"[{style}]{tool.risk.value}[/]", tool.description)
    console.print(table)
