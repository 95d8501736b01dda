"""The knowledge base facade: ingest documents into Chroma and search them hybrid-style.

Search fuses vector similarity and BM25 by reciprocal rank, then boosts documents whose alert
names match the incident's alert exactly (those must win) and whose services match.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from knowledge.documents import Chunk, Document, Runbook, chunk_document, load_documents
from knowledge.lexical import LexicalIndex
from knowledge.taxonomy import bundled_dir

__all__ = ["Hit", "IngestReport", "KnowledgeBase", "LayeredKnowledge", "bundled_paths", "relevance", "BEST_FUSED"]

Method = Literal["hybrid", "vector", "lexical"]
RUNBOOK_PRIOR = 0.02
"""In a search over both kinds, the runbook (what to do) leads a past incident of similar relevance."""
RRF_K = 10.0
PAGE = 5000
"""Chunks per Chroma ``get`` page when reading the whole collection."""
ADD_BATCH = 512
"""Chunks per Chroma ``add`` call when ingesting."""
WEIGHTS = {"vector": 1.0, "lexical": 0.5}
"""Reciprocal-rank fusion weights: BM25 sharpens exact terms, the embedding carries paraphrases."""
BEST_FUSED = sum(WEIGHTS.values()) / (RRF_K + 1)
"""The fused score of a document both searches rank first (before the alert and service boosts)."""


def relevance(score: float) -> float:
    """A hit's score as a share of the best a search gives: 1.0 when both the meaning (vector) and the keyword
    (BM25) searches rank it first, or when it names the incident's alert; ~0.5 for ranks ten or so down."""
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
    """Runbooks and past incidents in one Chroma collection, searched hybrid-style."""

    def __init__(self, collection: Any, extra_dirs: Iterable[Path] = (), client: Any = None,
                 include_bundled: bool = True, lexical_cache: Path | None = None) -> None:
        self.collection = collection
        self.client = client
        self.include_bundled = include_bundled
        self.extra_dirs = list(extra_dirs)
        self.lexical_cache = lexical_cache
        """Where the BM25 index is saved between processes (keyed by the chunks it indexes); None: not saved."""
        self._lexical: LexicalIndex | None = None
        self._lexical_meta: dict[str, dict[str, Any]] = {}
        self._lexical_count = -1
        self._runbooks: list[Runbook] | None = None
        self._lock = threading.Lock()

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

    def ingest(self, paths: list[Path] | None = None, progress: Callable[[int, int], None] | None = None) -> IngestReport:
        """Upsert documents under ``paths`` by content hash; remove documents whose files are gone."""
        roots = paths or (bundled_paths() + self.extra_dirs)
        docs = load_documents(roots)
        report = IngestReport()
        existing = self._existing_hashes()
        present = {d.id for d in docs}
        root_prefixes = [str(r.resolve()) if r.exists() else str(r) for r in roots]
        for doc_id, (_doc_hash, path) in existing.items():
            if doc_id not in present and path and any(str(Path(path).resolve()).startswith(p) for p in root_prefixes):
                self.collection.delete(where={"doc_id": doc_id})
                report.removed += 1
        pending: list[Chunk] = []
        for index, doc in enumerate(docs):
            doc.path = str(Path(doc.path).resolve())
            known = existing.get(doc.id)
            if known and known[0] == doc.content_hash():
                report.unchanged += 1
            else:
                if known:
                    self.collection.delete(where={"doc_id": doc.id})
                    report.updated += 1
                else:
                    report.added += 1
                chunks = chunk_document(doc)
                pending += chunks
                report.chunks += len(chunks)
                if len(pending) >= ADD_BATCH:
                    self._add_chunks(pending)
                    pending = []
            if progress:
                progress(index + 1, len(docs))
        self._add_chunks(pending)
        self._invalidate()
        return report

    def add_document(self, doc: Document) -> None:
        """Add or replace one document (learned incidents, feedback)."""
        self.collection.delete(where={"doc_id": doc.id})
        self._add(doc)
        self._invalidate()

    def _add(self, doc: Document) -> int:
        chunks = chunk_document(doc)
        self._add_chunks(chunks)
        return len(chunks)

    def _add_chunks(self, chunks: list[Chunk]) -> None:
        """Add in batches: each Chroma ``add`` costs a fixed ~0.1 s on top of its chunks, so one call per
        document made ingesting the bundled knowledge ten times slower than it needs to be."""
        for start in range(0, len(chunks), ADD_BATCH):
            part = chunks[start:start + ADD_BATCH]
            self.collection.add(ids=[c.id for c in part], documents=[c.text for c in part],
                                metadatas=[c.metadata for c in part])  # type: ignore[misc]

    def _existing_hashes(self) -> dict[str, tuple[str, str]]:
        found = self._get_all(["metadatas"])
        out: dict[str, tuple[str, str]] = {}
        for meta in found.get("metadatas") or []:
            if meta:
                out[str(meta["doc_id"])] = (str(meta.get("hash", "")), str(meta.get("path", "")))
        return out

    def count(self) -> int:
        return int(self.collection.count())

    def _get_all(self, include: list[str]) -> dict[str, list[Any]]:
        """Every chunk, fetched in pages (one huge ``get`` overflows SQLite's variable limit past ~30k chunks)."""
        out: dict[str, list[Any]] = {"ids": [], **{key: [] for key in include}}
        offset = 0
        while True:
            page = self.collection.get(include=include, limit=PAGE, offset=offset)
            out["ids"].extend(page["ids"])
            for key in include:
                out[key].extend(page.get(key) or [])
            if len(page["ids"]) < PAGE:
                return out
            offset += PAGE

    def _invalidate(self) -> None:
        with self._lock:
            self._lexical_count = -1

    # ---------- search ----------
    def _lexical_index(self, count: int) -> LexicalIndex:
        """The BM25 index of the collection, rebuilt (or loaded from the cache) when its size changed."""
        with self._lock:
            if self._lexical is None or count != self._lexical_count:
                found = self._get_all(["documents", "metadatas"])
                ids = list(found["ids"])
                self._lexical = LexicalIndex.cached(ids, [str(t) for t in found.get("documents") or []],
                                                    self.lexical_cache)
                self._lexical_meta = {i: dict(m or {}) for i, m in zip(ids, found.get("metadatas") or [], strict=True)}
                self._lexical_docs = {i: str(t) for i, t in zip(ids, found.get("documents") or [], strict=True)}
                self._lexical_count = count
            return self._lexical

    def search(self, query: str, k: int = 5, service: str | None = None, kind: str | None = None,
               alertname: str | None = None, method: Method = "hybrid") -> list[Hit]:
        """The ``k`` best documents for ``query`` (one hit per document)."""
        if not query.strip():
            return []
        count = self.count()
        if count == 0:
            return []
        pool = max(40, k * 8)
        ranked: dict[str, list[tuple[str, dict[str, Any], str]]] = {"vector": [], "lexical": []}
        where = {"kind": kind} if kind else None
        if method in ("hybrid", "vector"):
            result = self.collection.query(query_texts=[query], n_results=min(pool, count), where=where,
                                           include=["metadatas", "documents"])
            for cid, meta, text in zip(result["ids"][0], result["metadatas"][0], result["documents"][0], strict=True):
                ranked["vector"].append((cid, dict(meta or {}), str(text)))
        if method in ("hybrid", "lexical"):
            index = self._lexical_index(count)
            for cid, _score in index.search(query, pool * 2):
                meta = self._lexical_meta.get(cid, {})
                if kind and meta.get("kind") != kind:
                    continue
                ranked["lexical"].append((cid, meta, self._lexical_docs.get(cid, "")))
        return self._fuse(ranked, k, service, alertname, query, mixed=kind is None)

    def _fuse(self, ranked: dict[str, list[tuple[str, dict[str, Any], str]]], k: int, service: str | None,
              alertname: str | None, query: str, mixed: bool = False) -> list[Hit]:
        scores: dict[str, float] = {}
        best: dict[str, tuple[dict[str, Any], str]] = {}
        for method, ranking in ranked.items():
            seen: set[str] = set()
            for _rank, (_cid, meta, text) in enumerate(ranking):
                doc_id = str(meta.get("doc_id", _cid))
                if doc_id in seen:
                    continue
                seen.add(doc_id)
                scores[doc_id] = scores.get(doc_id, 0.0) + WEIGHTS[method] / (RRF_K + len(seen) + 0)
                best.setdefault(doc_id, (meta, text))
        query_lower = query.lower()
        hits: list[Hit] = []
        for doc_id, score in scores.items():
            meta, text = best[doc_id]
            alerts = [a for a in str(meta.get("alerts", "")).split(",") if a]
            services = [s for s in str(meta.get("services", "")).split(",") if s]
            why = []
            named = {a.lower() for a in alerts}
            if (alertname and alertname.lower() in named) or any(a and a in query_lower.split() for a in named):
                score += 1.0
                why.append("alert name matches")
            if mixed and meta.get("kind") == "runbook":
                score += RUNBOOK_PRIOR
            if service and service in services:
                score += 0.02
                why.append("service matches")
            elif service and services and "*" not in services and meta.get("kind") == "runbook":
                score -= 0.01
            hits.append(Hit(doc_id=doc_id, kind=str(meta.get("kind", "")), title=str(meta.get("title", "")),
                            category=str(meta.get("category", "")), score=round(score, 5), services=services,
                            alerts=alerts, snippet=text[:400], path=str(meta.get("path", "")), why=why))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]

    # ---------- executable knowledge ----------
    def runbooks(self) -> list[Runbook]:
        """Every runbook as parsed objects (checks and actions), from the bundled and configured folders."""
        if self._runbooks is None:
            roots = ([bundled_dir() / "runbooks"] if self.include_bundled else []) + [
                d for d in self.extra_dirs if d.exists()]
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
