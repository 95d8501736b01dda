"""The proactive watch in the incident channel (docs/watch.md): early-warning threads (``threads``), what the
buttons on their cards do (``actions``), alerts joining a warning's thread (``attach``), ``/andon watch status``
(``status``) and the watcher ``andon serve`` runs with ``ANDON_WATCH=1`` (``watcher``). Import the modules
themselves: this package imports nothing, so the alert intake can use ``attach`` without a cycle."""
