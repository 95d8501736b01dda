"""The prompt budget: how many tokens a model request carries (``ANDON_MAX_PROMPT_TOKENS``), estimated the
same way everywhere — characters / 4 over the messages and tool schemas as sent — since no tokenizer is
assumed for an arbitrary OpenAI-compatible model."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

__all__ = ["CHARS_PER_TOKEN", "estimate_tokens", "first_fitting", "room_chars", "clip", "share_room"]

CHARS_PER_TOKEN = 4
"""English text and JSON run at about four characters a token in the GPT and Llama tokenizers."""

T = TypeVar("T")


def estimate_tokens(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> int:
    """The prompt tokens of a request with ``messages`` and ``tools``: its JSON, characters / 4."""
    body: dict[str, Any] = {"messages": messages}
    if tools:
        body["tools"] = tools
    return math.ceil(len(json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)) / CHARS_PER_TOKEN)


def room_chars(budget: int, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> int:
    """How many more characters of message content still fit under ``budget`` tokens."""
    return max(budget - estimate_tokens(messages, tools), 0) * CHARS_PER_TOKEN


def first_fitting(candidates: Iterable[T], size: Callable[[T], int], budget: int) -> T | None:
    """The first candidate (most detailed first) whose ``size`` is within ``budget``, else None."""
    return next((c for c in candidates if size(c) <= budget), None)


def clip(text: str, chars: int) -> str:
    """``text`` cut to ``chars`` characters, marked when cut."""
    if len(text) <= chars:
        return text
    return text[: max(chars - 15, 0)] + " …[truncated]" if chars > 15 else text[:chars]


def share_room(wants: list[int], room: int, cap: int) -> list[int]:
    """Split ``room`` characters among items that each want ``wants[i]`` (at most ``cap`` each): the small
    ones get all they want, the rest share what is left equally (water-filling), in the items' order."""
    out = [0] * len(wants)
    left = max(room, 0)
    for done, index in enumerate(sorted(range(len(wants)), key=lambda i: wants[i])):
        out[index] = min(wants[index], cap, left // (len(wants) - done))
        left -= out[index]
    return out
