"""Snippets for display are cut between words, with an ellipsis — in search hits and in ``/andon runbook``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.chat.blocks.commands import RUNBOOK_SNIPPET_CHARS, runbook_results
from knowledge.snippets import SNIPPET_CHARS, snippet

TEXT = (
    "When the checkout error ratio rises right after a deploy, compare the new version's error logs with "
    "the previous version's, then roll back with kubectl rollout undo deployment/checkout if they differ. "
) * 6


def _whole_words_then_ellipsis(cut: str, source: str) -> bool:
    """``cut`` is the start of ``source`` (whitespace collapsed), ends with …, and its last word is whole."""
    body = cut.removesuffix("…")
    source = " ".join(source.split())
    return cut.endswith("…") and source.startswith(body) and source[len(body)] in " ,.;:"


def test_a_long_text_is_cut_between_words_with_an_ellipsis() -> None:
    for limit in range(40, 420, 7):
        cut = snippet(TEXT, limit)
        assert len(cut) <= limit and _whole_words_then_ellipsis(cut, TEXT), (limit, cut)


def test_short_text_is_kept_whole_on_one_line() -> None:
    assert snippet("Roll back\n\n  the deploy.", 100) == "Roll back the deploy."
    assert snippet("a" * 30 + " end", 34) == "a" * 30 + " end"


def test_a_word_longer_than_half_the_room_is_the_only_thing_cut_inside() -> None:
    assert snippet("see " + "x" * 100, 20) == "see " + "x" * 15 + "…"


def test_search_hits_carry_snippets_cut_at_words(kb: Any) -> None:
    hits = kb.search("checkout error spike after a bad deploy, roll back", k=8)
    assert any(h.snippet.endswith("…") for h in hits), "some bundled runbook is longer than a snippet"
    for hit in hits:
        source = " ".join(Path(hit.path).read_text().split())
        last = hit.snippet.removesuffix("…").split()[-1]
        assert re.search(rf"(?<![\w-]){re.escape(last)}(?![\w-])", source), f"{hit.doc_id}: {last!r} is cut"
        assert len(hit.snippet) <= SNIPPET_CHARS


def test_andon_runbook_shows_snippets_cut_at_words() -> None:
    blocks = runbook_results(
        "bad deploy",
        [{"doc_id": "rb-bad-deploy", "title": "Bad deploy", "category": "bad_deploy", "snippet": TEXT, "path": ""}],
    )
    shown = blocks[1]["text"]["text"].split("\n", 1)[1]
    assert len(shown) <= RUNBOOK_SNIPPET_CHARS and _whole_words_then_ellipsis(shown, TEXT), shown
