"""Chroma's embedding functions: the offline all-MiniLM-L6-v2 (the model itself is :mod:`knowledge.minilm`)
and OpenAI embeddings as an option. Both are registered with Chroma so a collection reopens with the
embedding it was built with."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

from knowledge.minilm import (
    CACHE_FILE,
    MODEL_SHA256,
    EmbeddingError,
    MiniLMRuntime,
    bundled_vectors,
    text_key,
)

__all__ = [
    "MiniLMEmbedding",
    "OpenAIEmbedding",
    "make_embedding",
    "register_embeddings",
    "EmbeddingError",
    "CACHE_FILE",
    "text_key",
]

_MiniLMRuntime = MiniLMRuntime
"""The former name, kept for callers outside the package (benchmarks)."""


class MiniLMEmbedding(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2, int8 ONNX, offline, no PyTorch."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:
        texts = [str(t) for t in input]
        if len(texts) == 1:  # a search query: the same investigation often asks it more than once
            return [MiniLMRuntime.get().embed_query(texts[0]).copy()]
        cache = bundled_vectors() if texts else {}
        keys = [text_key(t) for t in texts] if cache else []
        missing = [i for i, k in enumerate(keys) if k not in cache] if cache else list(range(len(texts)))
        computed = MiniLMRuntime.get().embed([texts[i] for i in missing]) if missing else np.zeros((0, 384))
        out: list[np.ndarray] = [np.zeros(384, dtype=np.float32)] * len(texts)
        for row, index in enumerate(missing):
            out[index] = np.asarray(computed[row], dtype=np.float32)
        for index, key in enumerate(keys):
            if key in cache:
                out[index] = np.asarray(cache[key], dtype=np.float32)
        return out

    @staticmethod
    def name() -> str:
        return "andon-minilm-int8"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"model_sha256": MODEL_SHA256}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedding:
        return MiniLMEmbedding()


class OpenAIEmbedding(EmbeddingFunction[Documents]):
    """OpenAI (or any compatible server's) embeddings through the ``openai`` SDK."""

    def __init__(
        self, model: str = "text-embedding-3-small", base_url: str | None = None, api_key: str | None = None
    ) -> None:
        self.model = model
        self.base_url = base_url
        self._api_key = api_key

    def __call__(self, input: Documents) -> Embeddings:
        from openai import OpenAI

        client = OpenAI(
            api_key=self._api_key or os.environ.get("OPENAI_API_KEY") or "unset",
            base_url=self.base_url or os.environ.get("OPENAI_BASE_URL"),
        )
        response = client.embeddings.create(model=self.model, input=[str(t) for t in input])
        return [np.asarray(item.embedding, dtype=np.float32) for item in response.data]

    @staticmethod
    def name() -> str:
        return "andon-openai"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model, "base_url": self.base_url}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAIEmbedding:
        return OpenAIEmbedding(
            model=str(config.get("model", "text-embedding-3-small")), base_url=config.get("base_url")
        )


def register_embeddings() -> None:
    """Tell Chroma about Andon's embedding functions (idempotent)."""
    from chromadb.utils.embedding_functions import known_embedding_functions, register_embedding_function

    for cls in (MiniLMEmbedding, OpenAIEmbedding):
        if cls.name() not in known_embedding_functions:
            register_embedding_function(cls)  # type: ignore[arg-type,no-untyped-call]


def make_embedding(
    kind: str, model: str = "text-embedding-3-small", base_url: str | None = None, api_key: str | None = None
) -> EmbeddingFunction[Documents]:
    if kind in ("local", "minilm", "onnx"):
        return MiniLMEmbedding()
    if kind == "openai":
        return OpenAIEmbedding(model=model, base_url=base_url, api_key=api_key)
    raise EmbeddingError(f"unknown embeddings {kind!r}: use 'local' or 'openai' (ANDON_EMBEDDINGS)")
