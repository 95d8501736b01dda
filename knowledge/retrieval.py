"""The knowledge base facade: ingest documents into Chroma and search them hybrid-style.

Runbooks and past incidents live in one collection, other pages (``kind: doc``) in a second, each searched
by meaning and by keywords (:mod:`knowledge.partition`); the two scores are fused per document
(:mod:`knowledge.fusion`), then structured metadata (the alert a runbook answers, its services, its category,
its kind) moves documents up or down (:mod:`knowledge.ranking`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.documents import Chunk, Document, Runbook, chunk_document, load_documents
from knowledge.fusion import BEST_SCORE, DEFAULT_FUSION, Fusion, Method, fuse
from knowledge.partition import TEXT_KEY, Partition
from knowledge.query import SearchQuery
from knowledge.ranking import adjust
from knowledge.snippets import snippet
from knowledge.taxonomy import bundled_dir

__all__ = [
    "Hit",
    "IngestReport",
    "KnowledgeBase",
    "LayeredKnowledge",
    "bundled_paths",
    "relevance",
    "BEST_FUSED",
    "DOCS_SUFFIX",
]

ADD_BATCH = 5000
"""Chunks per Chroma ``add`` call: each call has a fixed cost (ingesting 100k chunks measured ~630 chunks/s in
calls of 512, ~1000/s in calls of 5000); Chroma takes at most 5461 per call."""
DOCS_SUFFIX = "_docs"
"""The docs' collection is named after the knowledge collection with this suffix."""
POOL_MIN = 40
"""Chunks each search side returns at least: a document has ~6 chunks, so some 7 documents' worth."""
POOL_PER_HIT = 8
"""…and this many chunks per hit asked for."""
LEXICAL_POOL_FACTOR = 2
"""The keyword side returns twice the vector side's chunks: its scores are sparse, a candidate costs nothing."""
BEST_FUSED = BEST_SCORE
"""The fused score of a document both searches rank first (before the alert, service and category boosts)."""


def relevance(score: float) -> float:
    """A hit's score as a share of the best a search gives: 1.0 when both the meaning (vector) and the keyword
    (BM25) searches put it first, or when it names the incident's alert; less the further either ranks it."""
    return max(0.0, min(score / BEST_FUSED, 1.0))


def bundled_paths() -> list[Path]:
    return [bundled_dir() / "runbooks", bundled_dir() / "incidents"]


@dataclass
class Hit:
    doc_id: str
    kind: str
    title: str
    category: str
    score: float
    services: list[str]
    alerts: list[str]
    snippet: str
    path: str = ""
    why: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0


class KnowledgeBase:
    """Runbooks and past incidents in one Chroma collection, other pages in a second, searched hybrid-style."""

    def __init__(
        self,
        collection: Any,
        extra_dirs: Iterable[Path] = (),
        client: Any = None,
        include_bundled: bool = True,
        lexical_cache: Path | None = None,
    ) -> None:
        self.collection = collection
        """Runbooks and past incidents (and, without a ``client`` to open a second collection, every page)."""
        self.client = client
        self.include_bundled = include_bundled
        self.extra_dirs = list(extra_dirs)
        self.lexical_cache = lexical_cache
        """Where the BM25 indexes are saved between processes (keyed by the chunks they index); None: not saved."""
        self._main = Partition(collection, lexical_cache, exact=True)
        self._docs: Partition | None = None
        self._runbooks: list[Runbook] | None = None
        self._lock = threading.Lock()

    def _docs_partition(self, create: bool) -> Partition | None:
        """The docs' collection (opened, or created when ``create``); None without a client or when absent."""
        with self._lock:
            if self._docs is None and self.client is not None:
                from knowledge.store import open_collection

                name = f"{self.collection.name}{DOCS_SUFFIX}"
                embedding = getattr(self.collection, "_embedding_function", None)
                exists = name in {getattr(c, "name", c) for c in self.client.list_collections()}
                if exists or create:
                    cache = (
                        self.lexical_cache.with_name(self.lexical_cache.name + DOCS_SUFFIX)
                        if self.lexical_cache
                        else None
                    )
                    self._docs = Partition(open_collection(self.client, embedding, name=name), cache, exact=False)
            return self._docs

    def _partitions(self) -> list[Partition]:
        docs = self._docs_partition(create=False)
        return [self._main] + ([docs] if docs is not None else [])

    def _home(self, kind: str) -> Partition:
        """Where chunks of ``kind`` are stored: pages in the docs' collection when there can be one."""
        docs = self._docs_partition(create=True) if kind == "doc" else None
        return docs or self._main

    # ---------- ingestion ----------
    def ingest_if_changed(self, marker: Path) -> IngestReport | None:
        """Ingest the bundled and configured folders unless their files are unchanged since the last ingest."""
        roots = bundled_paths() + self.extra_dirs
        if marker.exists() and marker.read_text() == self._fingerprint(roots):
            return None
        report = self.ingest(roots)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(self._fingerprint(roots))
        return report

    def _fingerprint(self, roots: list[Path]) -> str:
        """Paths, sizes and mtimes of the source files, plus the collection size."""
        stamp = hashlib.sha256()
        for root in roots:
            for path in sorted(root.rglob("*.md")) if root.is_dir() else [root]:
                if path.exists():
                    info = path.stat()
                    stamp.update(f"{path}:{info.st_mtime_ns}:{info.st_size};".encode())
        stamp.update(str(self.count()).encode())
        return stamp.hexdigest()

    def ingest(
        self, paths: list[Path] | None = None, progress: Callable[[int, int], None] | None = None
    ) -> IngestReport:
        """Upsert documents under ``paths`` by content hash; remove documents whose files are gone."""
        roots = paths or (bundled_paths() + self.extra_dirs)
        docs = load_documents(roots)
        report = IngestReport()
        existing = self._existing_hashes()
        present = {d.id for d in docs}
        root_prefixes = [str(r.resolve()) if r.exists() else str(r) for r in roots]
        for doc_id, (_doc_hash, path) in existing.items():
            if doc_id not in present and path and any(str(Path(path).resolve()).startswith(p) for p in root_prefixes):
                self._delete(doc_id)
                report.removed += 1
        pending: list[Chunk] = []
        for index, doc in enumerate(docs):
            doc.path = str(Path(doc.path).resolve())
            known = existing.get(doc.id)
            if known and known[0] == doc.content_hash():
                report.unchanged += 1
            else:
                if known:
                    self._delete(doc.id)
                    report.updated += 1
                else:
                    report.added += 1
                chunks = chunk_document(doc)
                pending += chunks
                report.chunks += len(chunks)
                if len(pending) >= ADD_BATCH:
                    self.add_chunks(pending)
                    pending = []
            if progress:
                progress(index + 1, len(docs))
        self.add_chunks(pending)
        return report

    def add_document(self, doc: Document) -> None:
        """Add or replace one document (learned incidents, feedback)."""
        self._delete(doc.id)
        self.add_chunks(chunk_document(doc))

    def add_chunks(self, chunks: Sequence[Chunk], embeddings: np.ndarray | None = None) -> None:
        """Store chunks in their kind's collection, :data:`ADD_BATCH` at a time, each text in its metadata
        (:data:`~knowledge.partition.TEXT_KEY`); ``embeddings`` (one row per chunk) when the vectors are
        already known, else the collection's embedding function makes them."""
        embed = getattr(self.collection, "_embedding_function", None)
        for kind in dict.fromkeys(str(c.metadata.get("kind", "")) for c in chunks):
            rows = [i for i, c in enumerate(chunks) if str(c.metadata.get("kind", "")) == kind]
            home = self._home(kind)
            for start in range(0, len(rows), ADD_BATCH):
                part = rows[start : start + ADD_BATCH]
                texts = [chunks[i].text for i in part]
                ids = [chunks[i].id for i in part]
                if embeddings is not None:
                    vectors = embeddings[part]
                elif embed is not None:
                    vectors = np.asarray(embed(texts), dtype=np.float32)
                else:  # nothing to embed with here: Chroma embeds the documents
                    home.collection.add(ids=ids, documents=texts, metadatas=[chunks[i].metadata for i in part])
                    continue
                home.collection.add(
                    ids=ids,
                    embeddings=vectors,
                    metadatas=[{**chunks[i].metadata, TEXT_KEY: chunks[i].text} for i in part],
                )
            home.invalidate()

    def _delete(self, doc_id: str) -> None:
        for partition in self._partitions():
            partition.collection.delete(where={"doc_id": doc_id})
            partition.invalidate()

    def _existing_hashes(self) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for partition in self._partitions():
            for meta in partition.get_all(["metadatas"])["metadatas"]:
                if meta:
                    out[str(meta["doc_id"])] = (str(meta.get("hash", "")), str(meta.get("path", "")))
        return out

    def count(self) -> int:
        return sum(partition.count() for partition in self._partitions())

    def _invalidate(self) -> None:
        for partition in self._partitions():
            partition.invalidate()

    # ---------- search ----------
    def search(
        self,
        query: str,
        k: int = 5,
        service: str | None = None,
        kind: str | None = None,
        alertname: str | None = None,
        method: Method = "hybrid",
        categories: Sequence[str] = (),
        fusion: Fusion = DEFAULT_FUSION,
    ) -> list[Hit]:
        """The ``k`` best documents for ``query`` (one hit per document), of ``kind`` (runbook, incident, doc;
        None: any). ``service``, ``alertname`` and ``categories`` are the incident's: documents that name
        them lead (see :mod:`knowledge.ranking`)."""
        return self._search(
            SearchQuery(
                text=query, alertname=alertname, services=(service,) if service else (), categories=tuple(categories)
            ),
            k,
            kind,
            method,
            fusion,
        )

    def _search(self, query: SearchQuery, k: int, kind: str | None, method: Method, fusion: Fusion) -> list[Hit]:
        if not query.text.strip():
            return []
        # runbooks and incidents are never in the docs' collection: their searches do not even look for it
        partitions = [self._main] if kind in ("runbook", "incident") else self._partitions()
        vector = self._embed(query.text) if method != "lexical" else None
        pool = max(POOL_MIN, k * POOL_PER_HIT)
        hits: list[Hit] = []
        for partition in partitions:
            candidates = partition.candidates(
                query.text, vector, {kind} if kind else None, pool, pool * LEXICAL_POOL_FACTOR
            )
            for doc_id, fused in fuse(candidates, method, fusion).items():
                meta = fused.best.meta
                delta, why = adjust(meta, query, mixed=kind is None)
                hits.append(
                    Hit(
                        doc_id=doc_id,
                        kind=str(meta.get("kind", "")),
                        title=str(meta.get("title", "")),
                        category=str(meta.get("category", "")),
                        score=round(fused.score + delta, 5),
                        services=[s for s in str(meta.get("services", "")).split(",") if s],
                        alerts=[a for a in str(meta.get("alerts", "")).split(",") if a],
                        snippet=snippet(fused.best.text),
                        path=str(meta.get("path", "")),
                        why=why,
                    )
                )
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]

    def _embed(self, text: str) -> np.ndarray | None:
        """The query's vector, from the collection's embedding function (None when it has none)."""
        embedding = getattr(self.collection, "_embedding_function", None)
        if embedding is None:
            return None
        return np.asarray(embedding([text])[0], dtype=np.float32)

    # ---------- executable knowledge ----------
    def runbooks(self) -> list[Runbook]:
        """Every runbook as parsed objects (checks and actions), from the bundled and configured folders."""
        if self._runbooks is None:
            roots = ([bundled_dir() / "runbooks"] if self.include_bundled else []) + [
                d for d in self.extra_dirs if d.exists()
            ]
            self._runbooks = [d for d in load_documents(roots) if isinstance(d, Runbook)]
        return self._runbooks


class LayeredKnowledge:
    """A base knowledge base plus a small layer of extra documents (a scenario's or a team's own),
    searched together without re-ingesting the base."""

    def __init__(self, base: KnowledgeBase, layer: KnowledgeBase) -> None:
        self.base = base
        self.layer = layer
        self.client = base.client

    def search(self, query: str, k: int = 5, **kwargs: Any) -> list[Hit]:
        hits = self.base.search(query, k=k, **kwargs) + self.layer.search(query, k=k, **kwargs)
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]

    def runbooks(self) -> list[Runbook]:
        known = {rb.id for rb in self.base.runbooks()}
        return self.base.runbooks() + [rb for rb in self.layer.runbooks() if rb.id not in known]

    def count(self) -> int:
        return self.base.count() + self.layer.count()

    def add_document(self, doc: Document) -> None:
        self.layer.add_document(doc)
