"""The offline embedding model: a query embeds to the same vector however often it is asked, and the model
can start loading in the background before anything needs it."""

from __future__ import annotations

import threading

import numpy as np

from knowledge.embeddings import MiniLMEmbedding
from knowledge.minilm import MiniLMRuntime, preload


def _preloading() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "andon-minilm-preload"]


def test_preload_loads_the_model_once_in_the_background() -> None:
    preload()
    for thread in _preloading():
        thread.join(timeout=120)
    runtime = MiniLMRuntime.get()
    preload()  # already loaded: nothing more to do
    assert not _preloading() and MiniLMRuntime.get() is runtime


def test_a_repeated_query_embeds_to_the_same_vector() -> None:
    embedding = MiniLMEmbedding()
    query = "checkout p99 latency high since 10:02 checkout"
    first = embedding([query])[0]
    expected = MiniLMRuntime.get().embed([query])[0]
    assert np.array_equal(first, expected) and first.dtype == np.float32
    first[:] = 0.0  # a caller may write into what it got back
    again = embedding([query])[0]
    assert np.array_equal(again, expected)
