"""Rebuild the shipped embedding cache of the bundled documents: ``python -m knowledge.cache``."""

from __future__ import annotations

import numpy as np

from knowledge.documents import chunk_document, load_documents
from knowledge.minilm import CACHE_FILE, MiniLMRuntime, text_key
from knowledge.retrieval import bundled_paths


def main() -> None:
    texts = sorted({c.text for d in load_documents(bundled_paths()) for c in chunk_document(d)})
    vectors = MiniLMRuntime.get().embed(texts)
    np.savez_compressed(CACHE_FILE, keys=np.array([text_key(t) for t in texts]), vectors=vectors.astype(np.float32))
    print(f"cached {len(texts)} chunk embeddings in {CACHE_FILE}")


if __name__ == "__main__":
    main()
