"""The ``andon`` command: the composition root. It sits above every package it composes — the bot, the
evals and the benchmarks each contribute their own Typer sub-app (``bot.cli.app``, ``evals.cli.app``,
``bench.cli.app``) — so no package imports another's commands."""
