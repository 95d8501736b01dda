"""Slack mrkdwn as Rich text, so a report written for Slack reads cleanly in a terminal: ``*bold*`` is bold,
```code``` is highlighted, ``_italics_`` are italic, links and emoji codes become plain text."""

from __future__ import annotations

import re

from rich.text import Text

__all__ = ["mrkdwn_to_rich"]

_SPANS = re.compile(
    r"```\n?(?P<block>(?s:.+?))\n?```"
    r"|`(?P<code>[^`\n]+)`"
    r"|(?<![\w*])\*(?P<bold>[^*\n]*[^*\s])\*(?![\w*])"
    r"|(?<![\w_])_(?P<italic>[^_\n]*[^_\s])_(?![\w_])"
)
_STYLES = {"block": "cyan", "code": "cyan", "bold": "bold", "italic": "italic"}


def _append(out: Text, text: str, style: str) -> None:
    at = 0
    for match in _SPANS.finditer(text):
        out.append(text[at : match.start()], style=style or None)
        kind = str(match.lastgroup)
        inner = match.group(kind)
        if kind in ("block", "code"):
            out.append(inner, style=" ".join(s for s in (style, _STYLES[kind]) if s))
        else:
            _append(out, inner, " ".join(s for s in (style, _STYLES[kind]) if s))
        at = match.end()
    out.append(text[at:], style=style or None)


def mrkdwn_to_rich(text: str) -> Text:
    """``text`` (Slack mrkdwn) as styled Rich text without the markers; nothing in it is read as Rich markup."""
    from bot.chat.plaintext import mrkdwn_to_text

    out = Text()
    _append(out, mrkdwn_to_text(text), "")
    return out
