"""The evaluation's and the lab's commands of ``andon``: ``eval`` (with ``--calibrate``), ``tune``, ``demo``
and ``lab``, gathered into one Typer sub-app in ``app.py``, which the ``andon`` package composes."""
