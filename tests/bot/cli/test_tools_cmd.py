"""``andon tools list``: each tool with its risk and its arguments (name, type, required or default); at 80
columns no name or word is cut (the group makes room)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.cli.tools_cmd import argument_lines
from tests.bot.cli.conftest import Andon
from tests.support.andon_process import run_andon


def test_argument_lines_read_the_schema() -> None:
    schema = {
        "properties": {
            "query": {"type": "string"},
            "lookback": {"type": "string", "default": "1h"},
            "service": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
            "series": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["query"],
    }
    assert argument_lines(schema) == [
        "query: string (required)",
        'lookback: string = "1h"',
        "service: string (optional)",
        "series: list of string (optional)",
    ]
    assert argument_lines({"properties": {}}) == []


def test_tools_list_shows_each_tools_arguments(andon: Andon, tmp_path: Path) -> None:
    result = andon("tools", "list", data_dir=tmp_path)
    assert result.exit_code == 0
    assert "arguments" in result.stdout
    flat = " ".join(result.stdout.split())
    for expected in (
        "query: string (required)",
        'lookback: string = "1h"',
        "service: string (required)",
        "dry_run: boolean = false",
    ):
        assert expected in flat, expected


def test_tool_names_are_never_cut_in_a_narrow_terminal(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tools import default_registry

    env = {**os.environ, "ANDON_DATA_DIR": str(tmp_path), "COLUMNS": "80"}
    result = subprocess.run(
        [sys.executable, "-m", "andon", "tools", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 0, result.stderr
    shown = {line.split("│")[1].strip() for line in result.stdout.splitlines() if line.startswith("│")}
    assert {tool.name for tool in default_registry().all()} <= shown


def test_at_80_columns_no_word_of_a_description_or_argument_is_cut(andon: Andon, tmp_path: Path) -> None:
    from tools import default_registry

    text = andon("tools", "list", data_dir=tmp_path, columns=80).stdout
    assert max(len(line) for line in text.splitlines()) <= 80, text
    shown = set(re.split(r"[\s│┃┏┓┗┛┡┩━─┳╇┴┬┼├┤└┘]+", text))
    for tool in default_registry().all():
        words = set(tool.description.split()) | {w for line in argument_lines(tool.json_schema()) for w in line.split()}
        assert words <= shown, (tool.name, sorted(words - shown))
    assert "not shown at 80 columns: group" in " ".join(text.split())


def test_tools_list_json(tmp_path: Path) -> None:
    result = run_andon("tools", "list", "--json", data_dir=tmp_path)
    tools = json.loads(result.stdout)
    assert len(tools) >= 15 and all({"name", "risk", "schema"} <= set(t) for t in tools)
