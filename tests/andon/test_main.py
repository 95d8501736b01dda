"""The ``andon`` entry point: ``--version``, ``--help`` builds every command group without importing anything
heavy, and the root lists the commands every package contributes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.andon_process import ROOT, run_andon


def test_help_imports_nothing_heavy() -> None:
    """``andon --help`` builds every command group; none of them may pull in the graph, Chroma, the settings,
    the tools or the chart renderer at import time (each command imports what it needs when it runs)."""
    code = (
        "import sys\nimport andon.main\n"
        "heavy = ('chromadb', 'langgraph', 'langchain_core', 'numpy', 'pydantic_settings', 'onnxruntime', 'bm25s',"
        " 'tools', 'bot.settings', 'bot.runtime', 'knowledge.embeddings', 'matplotlib', 'PIL',"
        " 'bot.charts.evidence', 'bot.charts.render')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_version(tmp_path: Path) -> None:
    result = run_andon("--version", data_dir=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("andon ")


def test_the_root_lists_every_package_s_commands_in_its_order() -> None:
    """The bot's, the evals' and the benchmarks' sub-apps all merge into the root, which lists their commands
    in the order of ``LISTED``: a new command must be placed there, not fall to the end."""
    import typer

    from andon.main import LISTED, app

    group = typer.main.get_command(app)
    assert group.list_commands(typer.Context(group)) == list(LISTED)  # type: ignore[attr-defined]
