"""BM25 over chunk texts (bm25s), with a tokenizer that keeps alert names and service names whole.

Building the index tokenizes every chunk, so a process that only searches loads it from disk instead:
:meth:`LexicalIndex.cached` keys the saved index by the exact chunk ids and texts, this module's source
and the bm25s version, so any change to the knowledge base or to the tokenizer builds it afresh."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["LexicalIndex", "tokenize"]

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_INNER_UPPER = re.compile(r"[A-Z]")
_SPLIT = re.compile(r"[-_.]")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "with",
        "we",
        "our",
        "not",
        "no",
        "after",
        "before",
        "since",
        "when",
        "why",
        "what",
        "how",
        "all",
        "any",
    ]
)


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

    def __init__(self, ids: list[str], texts: list[str], retriever: Any = None) -> None:
        import bm25s

        self.ids = ids
        self._retriever: Any = retriever
        if ids and retriever is None:
            self._retriever = bm25s.BM25()
            self._retriever.index([tokenize(t) or ["_"] for t in texts], show_progress=False)

    @classmethod
    def cached(cls, ids: list[str], texts: list[str], cache_dir: Path | None) -> LexicalIndex:
        """The index of ``ids``/``texts``: loaded from ``cache_dir`` when an index of exactly these chunks was
        saved there, else built and saved (replacing the older ones). No ``cache_dir``: just built."""
        if cache_dir is None or not ids:
            return cls(ids, texts)
        import bm25s

        path = cache_dir / _cache_key(ids, texts)
        try:
            return cls(ids, texts, bm25s.BM25.load(path, show_progress=False))
        except (OSError, ValueError, KeyError, EOFError):  # absent, damaged, or being removed: build it again
            shutil.rmtree(path, ignore_errors=True)
        index = cls(ids, texts)
        with contextlib.suppress(OSError):  # a read-only data dir still searches; it builds the index each time
            index._save(path)
        return index

    def _save(self, path: Path) -> None:
        """Write to a temporary folder, rename it into place (atomic: readers see all of it or nothing),
        then remove the indexes of earlier contents."""
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=path.parent))
        try:
            self._retriever.save(staging, show_progress=False)
            os.rename(staging, path)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not path.is_dir():
                raise
            return  # another process saved the same index first
        for old in path.parent.iterdir():
            if old != path and not _being_written(old):
                shutil.rmtree(old, ignore_errors=True)

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every chunk for ``query``, in the order of :attr:`ids` (zeros when no word of the
        query is indexed). Scoring them all costs about as much as a top-k search, and lets a caller pick
        the best of one kind of document without a larger pool."""
        tokens = tokenize(query)
        if self._retriever is None or not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        tokens = tokenize(query)
        if self._retriever is None or not tokens:
            return []
        k = min(k, len(self.ids))
        docs, scores = self._retriever.retrieve([tokens], k=k, show_progress=False)
        return [(self.ids[int(i)], float(s)) for i, s in zip(docs[0], scores[0], strict=True) if s > 0]


def _being_written(entry: Path) -> bool:
    """A staging folder another process may still be filling (one left by a crash is removed after an hour)."""
    try:
        return entry.name.startswith(".tmp-") and time.time() - entry.stat().st_mtime < 3600
    except OSError:
        return True  # already gone


def _cache_key(ids: list[str], texts: list[str]) -> str:
    import bm25s

    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(str(bm25s.__version__).encode())
    digest.update(json.dumps([ids, texts]).encode())
    return digest.hexdigest()[:32]
