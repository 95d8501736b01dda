"""``andon`` as a user runs it: the real entry point in a child process, with a clean environment (only
``PATH``, ``HOME`` and ``ANDON_DATA_DIR``, plus what a test adds), so nothing in the developer's shell leaks in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["ROOT", "run_andon"]

ROOT = Path(__file__).resolve().parents[2]


def run_andon(
    *args: str, data_dir: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``andon *args`` from the repository root and return what it printed and its exit code."""
    clean = {"PATH": "/usr/bin:/bin", "ANDON_DATA_DIR": str(data_dir), "HOME": str(data_dir), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "andon", *args], capture_output=True, text=True, cwd=ROOT, env=clean, timeout=timeout
    )
