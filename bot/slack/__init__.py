"""Andon in Slack (and in the ``andon chat`` console): incident threads, progress, RCA and approval cards,
slash commands and the Alertmanager receiver.

Layout: ``app.py`` builds the Bolt app and ``listeners.py`` registers every listener; ``handlers.py``
adapts payloads to the transport-agnostic :class:`~bot.slack.desk.Desk` (conversations, approvals,
commands, alerts); ``blocks/`` holds the pure Block Kit builders; ``server.py`` and ``runner.py`` serve it."""
