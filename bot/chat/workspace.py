"""Where Andon's messages go: the :class:`Workspace` protocol, the chat operations the conversation logic
needs from a channel. Slack implements it over the Web API (:class:`bot.slack.workspace.SlackWorkspace`),
``andon chat`` prints it to a terminal (:class:`bot.cli.console.ConsoleWorkspace`); another channel (Teams,
Mattermost) implements it the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.chat.blocks import Block

__all__ = ["Workspace", "ImageFile"]


@dataclass(frozen=True)
class ImageFile:
    """An image to share in a thread (a chart): its bytes, name, title and the text a screen reader says."""

    filename: str
    title: str
    alt_text: str
    content: bytes


class Workspace(Protocol):
    """The chat operations the conversation logic needs."""

    def post(self, channel: str, blocks: list[Block], text: str | None = None, thread_ts: str | None = None) -> str:
        """Post a message; return its ts."""
        ...

    def update(self, channel: str, ts: str, blocks: list[Block], text: str | None = None) -> None: ...

    def ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> None: ...

    def upload(
        self, channel: str, thread_ts: str | None, filename: str, content: str, title: str, comment: str
    ) -> None: ...

    def upload_images(self, channel: str, thread_ts: str | None, images: list[ImageFile], comment: str) -> None:
        """Share ``images`` in one message of the thread, with ``comment`` as its text."""
        ...

    def permalink(self, channel: str, ts: str) -> str: ...

    def open_channel(self, name: str, topic: str, members: list[str]) -> str:
        """Create a channel, invite ``members`` and set its topic; return its id."""
        ...

    def bookmark(self, channel: str, title: str, link: str) -> None: ...

    def group_members(self, group: str) -> list[str]: ...

    def channel_id(self, name_or_id: str) -> str | None: ...
