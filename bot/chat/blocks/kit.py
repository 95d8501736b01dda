"""Block Kit primitives and the platform's limits: every builder goes through these, so no message
Andon sends can exceed 50 blocks or 3000 characters of section text — long content is cut with a note."""

from __future__ import annotations

import json
import time
from typing import Any

from bot.chat.ids import BlockId

__all__ = [
    "Block",
    "MAX_BLOCKS",
    "MAX_SECTION_TEXT",
    "clip",
    "section",
    "fields_section",
    "header",
    "context",
    "divider",
    "fit",
    "fallback_text",
    "code",
    "when",
    "mention",
    "untrusted",
]

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_FALLBACK_TEXT = 3000
TRUNCATED_NOTE = "… _(truncated — ask in the thread for the rest)_"


def untrusted(value: Any) -> str:
    """Text from outside (alerts, logs, tool output, model answers, people) made inert in mrkdwn: with
    ``&``, ``<`` and ``>`` escaped, it cannot mention ``<!channel>`` or a user, nor carry a disguised link.
    Links only come from trusted configuration (runbook URLs) and Andon's own tokens (dates, mentions)."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int = MAX_SECTION_TEXT, note: str = TRUNCATED_NOTE) -> str:
    """``text`` cut to ``limit`` characters, ending with ``note`` when anything was cut."""
    if len(text) <= limit:
        return text
    keep = max(limit - len(note) - 1, 0)
    cut = text[:keep]
    if cut.count("```") % 2:  # never leave a code fence open: it would swallow the note
        cut = cut[: cut.rfind("```")] if len(cut) > 3 else ""
    return (cut.rstrip() + "\n" + note)[:limit]


def section(text: str, block_id: str | None = None, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": clip(text or " ")}}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def fields_section(pairs: list[tuple[str, str]], block_id: str | None = None) -> Block:
    fields = [{"type": "mrkdwn", "text": clip(f"*{name}*\n{value}", MAX_FIELD_TEXT)} for name, value in pairs]
    block: Block = {"type": "section", "fields": fields[:MAX_FIELDS]}
    if block_id:
        block["block_id"] = block_id
    return block


def header(text: str, block_id: str | None = None) -> Block:
    plain = " ".join(text.split()) or "Andon"
    if len(plain) > MAX_HEADER_TEXT:
        plain = plain[: MAX_HEADER_TEXT - 1] + "…"
    block: Block = {"type": "header", "text": {"type": "plain_text", "text": plain, "emoji": True}}
    if block_id:
        block["block_id"] = block_id
    return block


def context(*texts: str, block_id: str | None = None) -> Block:
    elements = [{"type": "mrkdwn", "text": clip(t, MAX_SECTION_TEXT)} for t in texts if t][:MAX_CONTEXT_ELEMENTS]
    block: Block = {"type": "context", "elements": elements or [{"type": "mrkdwn", "text": " "}]}
    if block_id:
        block["block_id"] = block_id
    return block


def divider() -> Block:
    return {"type": "divider"}


def code(value: Any) -> str:
    """A value as a Slack code block (exact parameters, shown verbatim)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return "```" + untrusted(text).replace("```", "'''") + "```"


def when(at: float) -> str:
    """A Slack date token (shown in each reader's timezone) with a UTC fallback."""
    fallback = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at))
    return f"<!date^{int(at)}^{{date_short_pretty}} {{time_secs}}|{fallback}>"


def mention(user: str | None) -> str:
    if not user:
        return "someone"
    return f"<@{user}>" if user[:1] in "UW" else user


def fit(blocks: list[Block], limit: int = MAX_BLOCKS) -> list[Block]:
    """At most ``limit`` blocks; when some must go, the last kept block says how many were left out."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    omitted = len(blocks) - len(kept)
    return [
        *kept,
        context(
            f"_{omitted} more block(s) left out to stay within Slack's limits — ask in the thread for details._",
            block_id=BlockId.TRUNCATED,
        ),
    ]


def fallback_text(blocks: list[Block], default: str = "Andon") -> str:
    """The notification text for ``blocks``: their header and first section, plain."""
    parts: list[str] = []
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and text.get("text", "").strip():  # plain_text is shown raw; here it is mrkdwn
            parts.append(untrusted(text["text"]) if text.get("type") == "plain_text" else str(text["text"]))
        if len(parts) == 2:
            break
    joined = " — ".join(p.splitlines()[0] for p in parts) or default
    return joined[:MAX_FALLBACK_TEXT]
