"""The Slack channel: Andon's chat logic (``bot.chat``) carried over Slack.

Layout: ``app.py`` builds the Bolt app and ``listeners.py`` registers every listener; ``handlers.py``
adapts payloads to the channel-independent :class:`~bot.chat.desk.Desk`; ``workspace.py`` is the
:class:`~bot.chat.workspace.Workspace` over the Web API; ``server.py`` and ``edge/`` are the HTTP edge,
``runner.py`` and ``worker.py`` the serving and worker processes, ``sweeper.py`` their recovery sweep."""
