"""``andon tools list``: each tool with its risk and its arguments (name, type, required or default)."""

from __future__ import annotations

from pathlib import Path

from bot.cli.tools_cmd import argument_lines
from tests.bot.cli.conftest import Andon


def test_argument_lines_read_the_schema() -> None:
    schema = {"properties": {"query": {"type": "string"}, "lookback": {"type": "string", "default": "1h"},
                             "service": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
                             "series": {"type": "array", "items": {"type": "string"}}},
              "required": ["query"]}
    assert argument_lines(schema) == ['query: string (required)', 'lookback: string = "1h"',
                                      "service: string (optional)", "series: list of string (optional)"]
    assert argument_lines({"properties": {}}) == []


def test_tools_list_shows_each_tools_arguments(andon: Andon, tmp_path: Path) -> None:
    result = andon("tools", "list", data_dir=tmp_path)
    assert result.exit_code == 0
    assert "arguments" in result.stdout
    flat = " ".join(result.stdout.split())
    for expected in ('query: string (required)', 'lookback: string = "1h"', "service: string (required)",
                     "dry_run: boolean = false"):
        assert expected in flat, expected
