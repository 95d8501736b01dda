"""The ``andon`` entry point: ``--version``, and ``--help`` builds every command group without importing
anything heavy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.andon_process import ROOT, run_andon


def test_help_imports_nothing_heavy() -> None:
    """``andon --help`` builds every command group; none of them may pull in the graph, Chroma, the settings,
    the tools or the chart renderer at import time (each command imports what it needs when it runs)."""
    code = ("import sys\nfrom bot.cli.main import _register_optional\n_register_optional()\n"
            "heavy = ('chromadb', 'langgraph', 'langchain_core', 'numpy', 'pydantic_settings', 'onnxruntime', 'bm25s',"
            " 'tools', 'bot.settings', 'bot.runtime', 'knowledge.embeddings', 'matplotlib', 'PIL',"
            " 'bot.charts.evidence', 'bot.charts.render')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_version(tmp_path: Path) -> None:
    result = run_andon("--version", data_dir=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("andon ")
