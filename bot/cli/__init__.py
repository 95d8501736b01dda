"""The bot's commands of the ``andon`` command line (typer + rich): one module per command, gathered into one
Typer sub-app in ``app.py``, and the terminal plumbing the evals' and the benchmarks' commands share
(``common.py``, ``tables.py``). The ``andon`` package composes them."""
