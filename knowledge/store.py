"""Chroma access: an embedded PersistentClient in the data directory, or a Chroma server by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from knowledge.embeddings import EmbeddingError, register_embeddings

__all__ = ["open_client", "open_collection", "COLLECTION", "HNSW_SYNC_THRESHOLD"]

COLLECTION = "andon_knowledge"
HNSW_SYNC_THRESHOLD = 100
"""Chroma writes its HNSW index to disk every this many additions, and every process that opens the collection
re-inserts the additions since then from its log. At Chroma's default (1000) that was most of the bundled
knowledge (~600 chunks), re-inserted by every ``andon investigate`` (0.1–0.2 s; 1.2 s at 50k chunks); at 100
it is at most 99 (0.02 s; 0.2 s at 50k), and ingesting is no slower (measured at 20k and 50k chunks)."""


def open_client(data_dir: Path, chroma_url: str | None = None) -> Any:
    """A Chroma client: ``HttpClient`` when ``chroma_url`` is set, else ``PersistentClient`` in ``data_dir``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    register_embeddings()
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if chroma_url:
        url = urlparse(chroma_url)
        if not url.hostname:
            raise ValueError(f"ANDON_CHROMA_URL is not a URL: {chroma_url!r}")
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=settings,
        )
    path = data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def open_collection(client: Any, embedding: Any, name: str = COLLECTION) -> Any:
    """The knowledge collection, created with ``embedding``; refuses to reuse one built with another."""
    try:
        existing = client.get_collection(name)
    except Exception:
        existing = None
    if existing is not None:
        stored = getattr(existing, "_embedding_function", None)
        stored_name = stored.name() if stored is not None and hasattr(stored, "name") else None
        meta_name = (existing.metadata or {}).get("embedding")
        built_with = meta_name or stored_name
        if built_with and built_with != embedding.name():
            raise EmbeddingError(
                f"collection {name!r} was built with embeddings {built_with!r}, not "
                f"{embedding.name()!r}; re-ingest into a new data dir or switch ANDON_EMBEDDINGS back"
            )
        collection = client.get_collection(name, embedding_function=embedding)
        _sync_hnsw_often(collection)
        return collection
    return client.create_collection(
        name,
        embedding_function=embedding,
        metadata={"embedding": embedding.name(), "hnsw:space": "cosine"},
        configuration={"hnsw": {"sync_threshold": HNSW_SYNC_THRESHOLD}},
    )


def _sync_hnsw_often(collection: Any) -> None:
    """Lower the sync threshold of a collection made before :data:`HNSW_SYNC_THRESHOLD` (once: the next
    process to open it writes the index out, and the ones after it just read it)."""
    hnsw = (getattr(collection, "configuration", None) or {}).get("hnsw") or {}
    if int(hnsw.get("sync_threshold") or 0) > HNSW_SYNC_THRESHOLD:
        collection.modify(configuration={"hnsw": {"sync_threshold": HNSW_SYNC_THRESHOLD}})
