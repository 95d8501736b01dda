"""BM25 over chunk texts (bm25s), with a tokenizer that keeps alert names and service names whole."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["LexicalIndex", "tokenize"]

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_INNER_UPPER = re.compile(r"[A-Z]")
_SPLIT = re.compile(r"[-_.]")
_STOP = frozenset(["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "with", "we", "our", "not", "no", "after", "before", "since", "when", "why", "what", "how", "all", "any"])


def _camel_split(word: str) -> list[str]:
    return [p.lower() for p in re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", word)]


def tokenize(text: str) -> list[str]:
    """Lower-case tokens; CamelCase alert names also yield their parts, hyphenated names their pieces."""
    tokens: list[str] = []
    for raw in _WORD.findall(text):
        lowered = raw.lower().strip(".-_")
        if not lowered or lowered in _STOP:
            continue
        tokens.append(lowered)
        parts = _SPLIT.split(lowered)
        if len(parts) > 1:
            tokens.extend(p for p in parts if p and p not in _STOP)
        if _INNER_UPPER.search(raw, 1):
            tokens.extend(p for p in _camel_split(raw) if p not in _STOP)
    return tokens


class LexicalIndex:
    """An in-memory BM25 index over (id, text) pairs."""

    def __init__(self, ids: list[str], texts: list[str]) -> None:
        import bm25s

        self.ids = ids
        self._retriever: Any = None
        if ids:
            self._retriever = bm25s.BM25()
            self._retriever.index([tokenize(t) or ["_"] for t in texts], show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        tokens = tokenize(query)
        if self._retriever is None or not tokens:
            return []
        k = min(k, len(self.ids))
        docs, scores = self._retriever.retrieve([tokens], k=k, show_progress=False)
        return [(self.ids[int(i)], float(s)) for i, s in zip(docs[0], scores[0], strict=True) if s > 0]
