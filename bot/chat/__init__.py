"""Andon's conversation logic, whatever the channel: incident threads, progress, RCA and approval cards,
answers to questions, ``/andon`` commands, the alert intake and the watch's early-warning threads.

Layout: ``desk.py`` (the :class:`~bot.chat.desk.Desk`, which a channel drives) over ``deps.py`` (the
:class:`~bot.chat.deps.ChatDeps` every part shares); ``conversations.py``, ``approvals.py``, ``commands.py``,
``alerts.py`` and ``watch/`` do the work; ``blocks/`` builds the cards (Block Kit, the cards' one format:
Slack sends them as they are, ``plaintext.py`` renders them for a terminal); ``workspace.py`` is the
protocol a channel implements to post and update them. Nothing here imports a channel: Slack
(``bot.slack``) and the console (``bot.cli.console``) sit above it."""
