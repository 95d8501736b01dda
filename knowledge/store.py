"""Chroma access: an embedded PersistentClient in the data directory, or a Chroma server by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from knowledge.embeddings import EmbeddingError, register_embeddings

__all__ = ["open_client", "open_collection", "COLLECTION"]

COLLECTION = "andon_knowledge"


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
        return chromadb.HttpClient(host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
                                   ssl=url.scheme == "https", settings=settings)
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
            raise EmbeddingError(f"collection {name!r} was built with embeddings {built_with!r}, not "
                                 f"{embedding.name()!r}; re-ingest into a new data dir or switch ANDON_EMBEDDINGS back")
        return client.get_collection(name, embedding_function=embedding)
    return client.create_collection(name, embedding_function=embedding,
                                    metadata={"embedding": embedding.name(), "hnsw:space": "cosine"})
