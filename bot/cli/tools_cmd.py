"""``andon tools list``: every tool with its risk and argument schema (in full as JSON with ``--json``)."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import RenderableType
from rich.text import Text

from bot.cli.common import console, print_json
from bot.cli.tables import Col, fitted_table

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
def list_tools(
    as_json: bool = typer.Option(
        False, "--json", help="print JSON to stdout (each tool's full JSON schema, with every argument's description)"
    ),
) -> None:
    """List every tool with its group, risk and arguments (name: type, required or default)."""
    from tools import default_registry

    registry = default_registry()
    tools = registry.all()
    if as_json:
        print_json(
            [
                {
                    "name": t.name,
                    "group": t.group,
                    "risk": t.risk.value,
                    "description": t.description,
                    "schema": t.json_schema(),
                }
                for t in tools
            ]
        )
        return
    rows: list[list[RenderableType]] = []
    for tool in tools:
        style = {"read": "green", "write": "yellow", "destructive": "red"}[tool.risk.value]
        arguments = Text("\n".join(argument_lines(tool.json_schema())) or "none")
        rows.append(
            [Text(tool.name), Text(tool.group), Text(tool.risk.value, style=style), arguments, Text(tool.description)]
        )
    console.print(fitted_table(console, TOOL_COLUMNS, rows, title=f"{len(tools)} tools", show_lines=True))


TOOL_COLUMNS = (Col("name"), Col("group", drop=1), Col("risk"), Col("arguments"), Col("description"))
"""A narrow terminal loses the group (the least needed to choose a tool; ``--json`` keeps it); names, risks,
arguments and descriptions stay, no word cut."""
