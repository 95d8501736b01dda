"""``andon tools list``: every tool with its risk and argument schema (in full as JSON with ``--json``)."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from bot.cli.common import console, print_json

__all__ = ["app", "list_tools", "argument_lines"]

app = typer.Typer(help="Inspect the tools the agent can use.", no_args_is_help=True)


def _type(spec: dict[str, Any]) -> str:
    if "anyOf" in spec:
        kinds = [_type(s) for s in spec["anyOf"] if s.get("type") != "null"]
        return " | ".join(kinds) or "null"
    if spec.get("type") == "array":
        return f"list of {_type(spec.get('items') or {})}"
    if spec.get("enum"):
        return " | ".join(json.dumps(v) for v in spec["enum"])
    return str(spec.get("type", "any"))


def argument_lines(schema: dict[str, Any]) -> list[str]:
    """One line per argument of a tool's JSON schema: ``name: type`` and ``(required)`` or its default."""
    required = set(schema.get("required") or [])
    lines = []
    for name, spec in (schema.get("properties") or {}).items():
        line = f"{name}: {_type(spec)}"
        if name in required:
            line += " (required)"
        elif spec.get("default") is not None:
            line += f" = {json.dumps(spec['default'])}"
        else:
            line += " (optional)"
        lines.append(line)
    return lines


@app.command("list")
def list_tools(as_json: bool = typer.Option(False, "--json", help="print JSON to stdout (each tool's full JSON "
                                            "schema, with every argument's description)")) -> None:
    """List every tool with its group, risk and arguments (name: type, required or default)."""
    from tools import default_registry

    registry = default_registry()
    tools = registry.all()
    if as_json:
        print_json([{"name": t.name, "group": t.group, "risk": t.risk.value, "description": t.description,
                     "schema": t.json_schema()} for t in tools])
        return
    table = Table(title=f"{len(tools)} tools", show_lines=True)
    for column in ("name", "group", "risk", "arguments", "description"):
        table.add_column(column, overflow="fold", no_wrap=column == "name")  # a tool's name is never cut
    for tool in tools:
        style = {"read": "green", "write": "yellow", "destructive": "red"}[tool.risk.value]
        arguments = Text("\n".join(argument_lines(tool.json_schema())) or "none")
        table.add_row(tool.name, tool.group, f"[{style}]{tool.risk.value}[/]", arguments, Text(tool.description))
    console.print(table)
