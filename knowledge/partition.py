"""One Chroma collection and what searching it needs in memory: its chunks' texts and metadata, their BM25
index and, for the runbooks and incidents, their vectors (:class:`Partition`).

The knowledge base keeps runbooks and past incidents in one collection and every other page (``kind: doc``:
wiki pages, design notes) in a second one, so a hundred thousand wiki chunks can neither crowd a runbook
out of the candidates nor slow its search down. The runbooks' collection is searched exactly: its vectors sit
in memory (about 1 MB for the bundled 600 chunks) and every chunk is scored, because an HNSW graph built
mostly of other documents can miss a runbook outright (measured: see ``knowledge/README.md``). The docs'
collection is searched through Chroma's HNSW index; a chunk only the keyword search found there is given
the cosine of the farthest chunk the vector search returned, a bound it cannot exceed, instead of reading
its stored vector back from Chroma for every search.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.fusion import Candidate
from knowledge.lexical import LexicalIndex

__all__ = ["Partition", "PAGE", "TEXT_KEY"]

TEXT_KEY = "chunk_text"
"""The metadata key a chunk's text is stored under. Chroma indexes a stored *document* for full-text search
(an SQLite FTS table Andon never queries: its own BM25 index does that), which made ingesting ~40% slower
(30k chunks: 1,092/s with documents, 1,521/s with the text in metadata). Collections written before keep their
texts as documents, and are read as they are."""

PAGE = 5000
"""Chunks per Chroma ``get`` page when reading the whole collection (one huge ``get`` overflows SQLite's
variable limit past ~30k chunks)."""


@dataclass(frozen=True)
class _Snapshot:
    """The collection as read at one moment; replaced whole, so a search never mixes two readings."""

    count: int
    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]
    kinds: dict[str, np.ndarray]
    """kind → which rows are of it."""
    documents: dict[str, np.ndarray]
    """doc_id → its rows."""
    position: dict[str, int]
    """chunk id → its row."""
    lexical: LexicalIndex
    vectors: np.ndarray | None
    """One row per chunk (exact partitions only)."""

    def keep(self, kinds: set[str] | None) -> np.ndarray:
        """Rows of ``kinds`` (None: all)."""
        if not kinds:
            return np.ones(len(self.ids), dtype=bool)
        mask = np.zeros(len(self.ids), dtype=bool)
        for kind in kinds & set(self.kinds):
            mask |= self.kinds[kind]
        return mask


class Partition:
    """A collection, searched by meaning and by keywords, every candidate carrying both scores."""

    def __init__(self, collection: Any, lexical_cache: Path | None, exact: bool) -> None:
        self.collection = collection
        self.lexical_cache = lexical_cache
        """Where the BM25 index is saved between processes (keyed by the chunks it indexes); None: not saved."""
        self.exact = exact
        """Score every chunk's vector in memory (True) or ask Chroma's HNSW index for the nearest (False)."""
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    def count(self) -> int:
        return int(self.collection.count())

    def invalidate(self) -> None:
        with self._lock:
            self._snapshot = None

    def get_all(self, include: list[str]) -> dict[str, list[Any]]:
        """Every chunk, fetched in pages."""
        out: dict[str, list[Any]] = {"ids": [], **{key: [] for key in include}}
        offset = 0
        while True:
            page = self.collection.get(include=include, limit=PAGE, offset=offset)
            out["ids"].extend(page["ids"])
            for key in include:
                found = page.get(key)
                out[key].extend(found if found is not None else [])
            if len(page["ids"]) < PAGE:
                return out
            offset += PAGE

    def _read(self, count: int) -> _Snapshot:
        """The collection in memory (its BM25 index loaded or built), read again when its size changed."""
        with self._lock:
            if self._snapshot is not None and self._snapshot.count == count:
                return self._snapshot
            found = self.get_all(["documents", "metadatas", *(["embeddings"] if self.exact else [])])
            ids = list(found["ids"])
            metas = [dict(m or {}) for m in found["metadatas"]]
            texts = [
                str(meta.pop(TEXT_KEY)) if TEXT_KEY in meta else str(document or "")
                for meta, document in zip(metas, found["documents"] or [None] * len(ids), strict=True)
            ]
            vectors = None
            if self.exact and len(found["embeddings"]):
                vectors = np.asarray(found["embeddings"], dtype=np.float32).reshape(len(ids), -1)
            self._snapshot = _Snapshot(
                count=count,
                ids=ids,
                texts=texts,
                metas=metas,
                kinds={kind: _mask(rows, len(ids)) for kind, rows in _groups(metas, "kind").items()},
                documents={doc: np.array(rows, dtype=int) for doc, rows in _groups(metas, "doc_id").items()},
                position={cid: i for i, cid in enumerate(ids)},
                lexical=LexicalIndex.cached(ids, texts, self.lexical_cache),
                vectors=vectors,
            )
            return self._snapshot

    def candidates(
        self, query: str, vector: np.ndarray | None, kinds: set[str] | None, pool: int, lexical_pool: int
    ) -> list[Candidate]:
        """The ``pool`` chunks nearest ``vector`` and the ``lexical_pool`` best BM25 matches of ``query``,
        among chunks of ``kinds`` (None: any), each with its cosine and BM25 score. Searched exactly, the
        other chunks of the documents found come too: a document is as close as its closest chunk."""
        count = self.count()
        if count == 0:
            return []
        snap = self._read(count)
        keep = snap.keep(kinds)
        keyword = snap.lexical.scores(query)
        lexical_top = _top(keyword, keep & (keyword > 0), lexical_pool)
        cosine: dict[int, float] = {}
        vector_top = np.array([], dtype=int)
        found: list[int] = []
        if vector is not None and snap.vectors is not None:
            every = snap.vectors @ vector
            vector_top = _top(every, keep, pool)
            documents = {str(snap.metas[i].get("doc_id", "")) for i in np.concatenate([vector_top, lexical_top])}
            found = [int(i) for doc in documents for i in snap.documents.get(doc, ())]
            cosine = {i: float(every[i]) for i in found}
        elif vector is not None:
            vector_top, cosine = self._nearest(snap, vector, keep, pool)
            # a chunk the nearest-neighbour search left out is at most as close as the farthest it returned
            ceiling = min(cosine.values(), default=0.0)
            cosine.update({int(i): ceiling for i in lexical_top if int(i) not in cosine})
        vector_rank = {int(i): rank for rank, i in enumerate(vector_top, start=1)}
        lexical_rank = {int(i): rank for rank, i in enumerate(lexical_top, start=1)}
        return [
            Candidate(
                chunk_id=snap.ids[i],
                meta=snap.metas[i],
                text=snap.texts[i],
                cosine=cosine.get(i, 0.0),
                bm25=float(keyword[i]),
                vector_rank=vector_rank.get(i),
                lexical_rank=lexical_rank.get(i),
            )
            for i in dict.fromkeys([*vector_rank, *lexical_rank, *found])
        ]

    def _nearest(
        self, snap: _Snapshot, vector: np.ndarray, keep: np.ndarray, pool: int
    ) -> tuple[np.ndarray, dict[int, float]]:
        """Chroma's approximate nearest chunks (cosine distance → similarity), as rows of ``snap``."""
        result = self.collection.query(
            query_embeddings=[vector], n_results=min(pool, snap.count), include=["distances"]
        )
        top: list[int] = []
        cosine: dict[int, float] = {}
        for cid, distance in zip(result["ids"][0], result["distances"][0], strict=True):
            index = snap.position.get(cid)
            if index is not None and keep[index]:
                top.append(index)
                cosine[index] = 1.0 - float(distance)
        return np.array(top, dtype=int), cosine


def _top(values: np.ndarray, keep: np.ndarray, k: int) -> np.ndarray:
    """Indexes of the ``k`` largest ``values`` where ``keep``, best first."""
    allowed = np.flatnonzero(keep)
    if allowed.size == 0 or k <= 0:
        return np.array([], dtype=int)
    chosen = values[allowed]
    if allowed.size > k:
        part = np.argpartition(-chosen, k - 1)[:k]
        allowed, chosen = allowed[part], chosen[part]
    return allowed[np.argsort(-chosen, kind="stable")]


def _groups(metas: list[dict[str, Any]], key: str) -> dict[str, list[int]]:
    """Row numbers by the value of ``key``."""
    out: dict[str, list[int]] = {}
    for row, meta in enumerate(metas):
        out.setdefault(str(meta.get(key, "")), []).append(row)
    return out


def _mask(rows: list[int], size: int) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[rows] = True
    return mask
