"""``python -m andon`` — the same as the ``andon`` console script."""

from andon.main import run

run()
