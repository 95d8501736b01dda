"""Snippets: the text of a search hit shortened for a person to read — whitespace collapsed, and, when cut,
cut between words and marked with an ellipsis, never in the middle of a word. The one cutter of text for
display: the bot's views use it too (``bot.report_view.shorten``); it lives here, in the lowest layer that
cuts text, so the knowledge code needs nothing from above."""

from __future__ import annotations

__all__ = ["snippet", "SNIPPET_CHARS"]

SNIPPET_CHARS = 400
"""The longest snippet a search hit carries (a front end may shorten it again)."""
ELLIPSIS = "…"


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """``text`` on one line in at most ``limit`` characters. A cut falls at the last space that keeps at least
    half of the room, and ends with ``…``; only a single word longer than half the room is cut inside."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = max(limit - len(ELLIPSIS), 1)
    cut = text[:room]
    space = cut.rfind(" ") if text[room] != " " else room
    if space >= room // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:·-—(") + ELLIPSIS
