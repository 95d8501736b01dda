"""A console channel for ``andon chat``: the same Desk and cards as Slack, rendered as text, with typed
messages, ``/andon`` commands and ``approve <n>`` / ``reject <n>`` under the same approval policy."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.chat.approvals import Click
from bot.chat.blocks import Block, notice, parse_button_value
from bot.chat.commands import CommandRequest
from bot.chat.conversations import InboundMessage
from bot.chat.deps import QueuedExecutor
from bot.chat.desk import Desk
from bot.chat.ids import ActionId
from bot.chat.plaintext import blocks_to_text
from bot.chat.workspace import ImageFile

__all__ = ["ConsoleWorkspace", "ChatSession", "CONSOLE_CHANNEL"]

CONSOLE_CHANNEL = "CCONSOLE01"
HELP = (
    "Type what is wrong to open an incident; in an incident, type questions. `approve <n>` / `reject <n>` "
    "decide on card n, `as <user>` switches user, `/andon help` lists commands, `new <text>` opens another "
    "incident, `quit` leaves."
)


class ConsoleWorkspace:
    """:class:`~bot.chat.workspace.Workspace` printing to a rich console."""

    def __init__(
        self, console: Console, groups: dict[str, list[str]] | None = None, render: Callable[[str], Text] = Text
    ) -> None:
        self.console = console
        self.groups = groups or {}
        self.render = render
        """Turns a message's text (Slack mrkdwn) into what the console prints; ``andon chat`` styles it."""
        self.cards: list[tuple[str, str, str]] = []
        """Approval cards shown so far: (channel, ts, button value); ``approve <n>`` picks one."""
        self._ts = itertools.count(time.time_ns() // 1000)

    def next_ts(self) -> str:
        """A Slack-like message ts, from the clock: a later session's messages are new to the store's dedupe
        (a counter restarting at 1 would make its first message a "retry" of the previous session's)."""
        micros = next(self._ts)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def show(self, blocks: list[Block], title: str, style: str = "cyan") -> None:
        self.console.print(
            Panel(self.render(blocks_to_text(blocks)), title=Text(title), title_align="left", border_style=style)
        )

    def post(self, channel: str, blocks: list[Block], text: str | None = None, thread_ts: str | None = None) -> str:
        ts = self.next_ts()
        title = "andon" + (" (in thread)" if thread_ts else "")
        for block in blocks:
            if block.get("type") == "actions":
                values = [e.get("value", "") for e in block["elements"] if e.get("action_id") == ActionId.APPROVE]
                if values:
                    self.cards.append((channel, ts, str(values[0])))
                    title += (
                        f" — card {len(self.cards)}: type `approve {len(self.cards)}` or `reject {len(self.cards)}`"
                    )
        self.show(blocks, title)
        return ts

    def update(self, channel: str, ts: str, blocks: list[Block], text: str | None = None) -> None:
        number = next((i for i, card in enumerate(self.cards, start=1) if card[1] == ts), None)
        self.show(blocks, f"andon (updated{f' card {number}' if number else ''})", style="dim")

    def ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> None:
        self.console.print(Text(f"(only visible to {user}) {text}", style="italic yellow"))

    def upload(
        self, channel: str, thread_ts: str | None, filename: str, content: str, title: str, comment: str
    ) -> None:
        self.console.print(Panel(Text(content), title=f"{title} ({filename})", border_style="green"))

    def upload_images(self, channel: str, thread_ts: str | None, images: list[ImageFile], comment: str) -> None:
        shown = "\n".join(f"🖼  {image.title} ({image.filename}, {len(image.content) // 1024} KB)" for image in images)
        self.console.print(Panel(Text(f"{comment}\n{shown}"), title="andon (images)", border_style="green"))

    def permalink(self, channel: str, ts: str) -> str:
        return f"console://{channel}/{ts}"

    def open_channel(self, name: str, topic: str, members: list[str]) -> str:
        self.console.print(Text(f"(would create #{name}, invite {', '.join(members)}, topic: {topic})", style="dim"))
        return CONSOLE_CHANNEL

    def bookmark(self, channel: str, title: str, link: str) -> None:
        self.console.print(Text(f"(bookmark: {title} → {link})", style="dim"))

    def group_members(self, group: str) -> list[str]:
        return list(self.groups.get(group, []))

    def channel_id(self, name_or_id: str) -> str | None:
        return CONSOLE_CHANNEL


class ChatSession:
    """Reads lines and drives the Desk, as Slack would."""

    def __init__(self, desk: Desk, workspace: ConsoleWorkspace, user: str, executor: QueuedExecutor) -> None:
        self.desk = desk
        self.workspace = workspace
        self.user = user
        self.executor = executor
        self.thread: str | None = None

    def run(self, lines: Iterable[str]) -> None:
        self.workspace.console.print(Text(HELP, style="dim"))
        for raw in lines:
            if not self.handle(raw.strip()):
                break
            self.executor.run_pending()

    def handle(self, line: str) -> bool:
        """Handle one typed line; False when the session should end."""
        word, _, rest = line.partition(" ")
        lowered = word.lower()
        if not line:
            return True
        if lowered in ("quit", "exit"):
            return False
        if lowered in ("approve", "reject"):
            self._decide(lowered, rest.strip())
        elif lowered == "as" and rest.strip():
            self.user = rest.strip()
            self.workspace.console.print(Text(f"(you are now {self.user})", style="dim"))
        elif lowered in ("/andon", "andon"):
            self._command(rest)
        elif lowered == "new" and rest.strip():
            self.thread = None
            self._message(rest.strip())
        else:
            self._message(line)
        return True

    def _message(self, text: str) -> None:
        ts = self.workspace.next_ts()
        message = InboundMessage(channel=CONSOLE_CHANNEL, ts=ts, text=text, user=self.user, thread_ts=self.thread)
        if self.desk.conversations.receive(message) == "opened":
            self.thread = ts

    def _command(self, text: str) -> None:
        def respond(blocks: list[Block]) -> None:
            self.workspace.show(blocks, "andon (only visible to you)", style="yellow")

        reply = self.desk.commands.handle(
            CommandRequest(text=text, user=self.user, channel=CONSOLE_CHANNEL, respond=respond)
        )
        self.workspace.show(reply.blocks, "andon (only visible to you)", style="yellow")

    def _decide(self, decision: str, number: str) -> None:
        cards = self.workspace.cards
        if not number.isdigit() or not 1 <= int(number) <= len(cards):
            self.workspace.show(notice(f"No card {number or '?'}; cards shown so far: 1–{len(cards)}."), "andon")
            return
        channel, ts, value = cards[int(number) - 1]
        incident_id, proposal_id, digest = parse_button_value(value)
        self.desk.approvals.decide(
            Click(
                incident_id=incident_id,
                proposal_id=proposal_id,
                digest=digest,
                decision="approve" if decision == "approve" else "reject",
                user=self.user,
                channel=channel,
                message_ts=ts,
            )
        )
