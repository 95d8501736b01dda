"""The ``andon`` command line (typer + rich)."""
