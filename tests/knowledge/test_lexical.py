"""The BM25 index saved between processes: it answers exactly like a fresh one, and any change to the
chunks it indexes builds a new one."""

from __future__ import annotations

from pathlib import Path

from knowledge.documents import chunk_document, load_documents
from knowledge.lexical import LexicalIndex
from knowledge.retrieval import bundled_paths

QUERIES = [
    "checkout p99 latency high, db pool waiting",
    "[FIRING:1] KubePodCrashLooping payments-7f9c",
    "HikariPool connection is not available",
    "disk full on kafka broker",
    "certificate expired x509",
    "OOMKilled memory leak",
    "feature flag rollout errors",
    "no such host dns",
    "queue backlog consumer lag",
]


def _bundled() -> tuple[list[str], list[str]]:
    chunks = [c for d in load_documents(bundled_paths()) for c in chunk_document(d)]
    return [c.id for c in chunks], [c.text for c in chunks]


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_a_saved_index_answers_exactly_like_a_fresh_one(tmp_path: Path) -> None:
    ids, texts = _bundled()
    fresh = LexicalIndex(ids, texts)
    built = LexicalIndex.cached(ids, texts, tmp_path)
    saved = _files(tmp_path)
    assert len(list(tmp_path.iterdir())) == 1 and saved
    loaded = LexicalIndex.cached(ids, texts, tmp_path)
    assert _files(tmp_path) == saved, "the second process loads the index, it does not write it again"
    for query in QUERIES:
        expected = fresh.search(query, 80)
        assert expected and built.search(query, 80) == expected and loaded.search(query, 80) == expected


def test_changed_chunks_build_a_new_index_and_drop_the_old(tmp_path: Path) -> None:
    ids = ["rb-warp#0", "rb-warp#1", "inc-other#0"]
    LexicalIndex.cached(ids, ["Warp core breach", "The dilithium chamber overheats", "Unrelated"], tmp_path)
    [before] = list(tmp_path.iterdir())
    changed = LexicalIndex.cached(
        ids, ["Warp core breach", "The chamber is flooded with plasma", "Unrelated"], tmp_path
    )  # same ids, same count: only a text differs
    [after] = list(tmp_path.iterdir())
    assert after != before
    assert [i for i, _ in changed.search("plasma flood", 3)] == ["rb-warp#1"]
    assert changed.search("dilithium", 3) == []


def test_a_damaged_or_unwritable_cache_still_searches(tmp_path: Path) -> None:
    ids = ["a#0", "b#0"]
    texts = ["checkout latency regression after deploy", "payments pods OOMKilled"]
    LexicalIndex.cached(ids, texts, tmp_path)
    for file in next(tmp_path.iterdir()).iterdir():
        file.write_bytes(b"not an index")
    assert [i for i, _ in LexicalIndex.cached(ids, texts, tmp_path).search("OOMKilled", 2)] == ["b#0"]
    repaired = _files(tmp_path)
    assert b"not an index" not in {p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    LexicalIndex.cached(ids, texts, tmp_path)
    assert _files(tmp_path) == repaired
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert [i for i, _ in LexicalIndex.cached(ids, texts, blocked / "index").search("deploy", 2)] == ["a#0"]
