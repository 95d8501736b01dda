"""Render Block Kit as plain text, for the ``andon chat`` console: the same cards, without Slack."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["blocks_to_text", "mrkdwn_to_text"]

_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]+)>")
_USER = re.compile(r"<@([A-Z0-9-]+)>")  # a Slack id, or the console's own (U-CONSOLE)
_EMOJI = {
    ":white_check_mark:": "✔",
    ":heavy_check_mark:": "✓",
    ":heavy_multiplication_x:": "✗",
    ":x:": "✗",
    ":no_entry_sign:": "⊘",
    ":warning:": "⚠",
    ":hourglass:": "⌛",
    ":hourglass_flowing_sand:": "⏳",
    ":arrow_forward:": "▶",
    ":eyes:": "👀",
    ":rotating_light:": "🚨",
    ":hammer_and_wrench:": "🛠",
    ":large_green_circle:": "●",
    ":large_orange_circle:": "●",
    ":white_circle:": "○",
    ":double_vertical_bar:": "‖",
    ":sunny:": "☀",
    ":thinking_face:": "?",
    ":memo:": "✎",
    ":mag:": "🔍",
    ":books:": "📚",
    ":repeat:": "↻",
}


def mrkdwn_to_text(text: str) -> str:
    """``text`` as a terminal shows it: Slack's entities, dates, links, mentions and emoji codes resolved; the
    ``*bold*``/``_italic_``/`` `code` `` markers kept (:func:`bot.cli.mrkdwn.mrkdwn_to_rich` styles them)."""
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")  # the three Slack escapes
    text = _DATE.sub(r"\1", text)
    text = _LINK.sub(r"\2 (\1)", text)
    text = _USER.sub(r"@\1", text)
    for code, symbol in _EMOJI.items():
        text = text.replace(code, symbol)
    return text


def _text_of(obj: Any) -> str:
    return mrkdwn_to_text(str(obj.get("text", ""))) if isinstance(obj, dict) else ""


def blocks_to_text(blocks: list[dict[str, Any]]) -> str:
    """One readable string per message; buttons become ``[Approve]`` / ``[Reject]``."""
    out: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            out.append(_text_of(block.get("text")).upper())
        elif kind == "section":
            if block.get("text"):
                out.append(_text_of(block["text"]))
            if block.get("fields"):
                out.append("   ".join(_text_of(f).replace("\n", ": ", 1) for f in block["fields"]))
        elif kind == "context":
            out.append("  " + " · ".join(_text_of(e) for e in block.get("elements", [])))
        elif kind == "divider":
            out.append("─" * 40)
        elif kind == "actions":
            out.append("  ".join(f"[{_text_of(e.get('text'))}]" for e in block.get("elements", [])))
    return "\n".join(line for line in out if line.strip())
