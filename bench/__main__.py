"""``python -m bench`` — the same command as ``andon bench``."""

import typer

from bot.cli.bench import bench

typer.run(bench)
