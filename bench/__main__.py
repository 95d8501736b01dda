"""``python -m bench`` — the same command as ``andon bench``."""

import typer

from bench.cli import bench

typer.run(bench)
