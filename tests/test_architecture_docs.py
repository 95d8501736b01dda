"""docs/architecture.md stays true: its table of layers is the list ``tests/test_layers.py`` checks (read from
that file's source, so the list is still written once), every path it names exists, and it cites no issue
numbers a reader cannot look up."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "architecture.md"
NOT_YET = {"tests/tools/catalog", "tests/tools/catalog/test_telemetry.py"}
"""Paths the page names that do not exist yet: what "Add a tool" creates."""


def _layers_in_the_test() -> list[tuple[str, list[str]]]:
    tree = ast.parse((ROOT / "tests" / "test_layers.py").read_text())
    [value] = [
        node.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "LAYERS"
    ]
    return [(name, list(prefixes)) for name, prefixes in ast.literal_eval(value)]


def _layers_on_the_page() -> list[tuple[str, list[str]]]:
    section = PAGE.read_text().split("## Packages and layers", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:3] for line in section.splitlines() if line.startswith("| ")]
    return [(name.strip(), re.findall(r"`([\w.]+)`", modules)) for name, modules in rows[1:]]  # past the header


def test_the_page_lists_the_layers_the_test_checks() -> None:
    assert _layers_on_the_page() == _layers_in_the_test()


def test_every_path_the_page_names_exists_and_no_issue_is_cited() -> None:
    text = PAGE.read_text()
    roots = "andon|bot|tools|knowledge|evals|prompts|docs|bench|tests"
    named = {p.rstrip("/") for p in re.findall(rf"`((?:{roots})/[\w./*-]+)`", text)}
    assert "bot/approval.py" in named and "tests/test_layers.py" in named
    missing = sorted(p for p in named - NOT_YET if "*" not in p and not (ROOT / p).exists())
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"
    assert not re.findall(r"(?i)\bissues? #?\d+|(?<![\w&])#\d+\b", text)
