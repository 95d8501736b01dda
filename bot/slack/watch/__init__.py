"""The proactive watch in Slack (docs/watch.md): early-warning threads in the incident channel
(``threads``), the buttons on their cards (``actions``, ``handlers``), alerts joining a warning's thread
(``attach``), and the watcher ``andon serve`` runs with ``ANDON_WATCH=1`` (``watcher``). Import the modules
themselves: this package imports nothing, so the alert intake can use ``attach`` without a cycle."""
