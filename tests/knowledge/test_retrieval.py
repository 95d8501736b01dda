"""Hybrid retrieval over embedded Chroma and a Chroma server: the same behaviour, offline."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import load_settings
from knowledge.documents import Document
from knowledge.embeddings import EmbeddingError, OpenAIEmbedding
from knowledge.retrieval import DOCS_SUFFIX, KnowledgeBase
from knowledge.store import HNSW_SYNC_THRESHOLD, open_client, open_collection
from tests.support.net import free_port, wait_http


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("chroma") or str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "chroma")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    process = subprocess.Popen(
        [binary, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout_s=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(params=["embedded", "server"])
def fresh_kb(request: pytest.FixtureRequest, tmp_path: Path) -> KnowledgeBase:
    from bot.runtime import open_knowledge

    url = request.getfixturevalue("chroma_server") if request.param == "server" else None
    settings = load_settings(data_dir=tmp_path / "data", chroma_url=url)
    kb: Any = open_knowledge(settings, ingest=False)
    if url:  # the server is shared by the module's tests: start from empty collections
        for name in (kb.collection.name, kb.collection.name + DOCS_SUFFIX):
            with contextlib.suppress(Exception):
                kb.client.delete_collection(name)
        kb = open_knowledge(settings, ingest=False)
    return kb


def test_pool_query_finds_the_pool_runbook_first_in_both_modes(fresh_kb: KnowledgeBase) -> None:
    report = fresh_kb.ingest()
    assert report.added >= 80 and report.chunks > report.added
    hits = fresh_kb.search("checkout p99 latency high, db pool waiting", k=3)
    assert hits[0].doc_id == "rb-db-connection-pool-exhaustion"
    exact = fresh_kb.search("[FIRING:1] KubePodCrashLooping payments-7f9c", k=3, kind="runbook")
    assert exact[0].doc_id == "rb-crash-loop" and "alert name matches" in exact[0].why


def test_ingest_is_idempotent_and_tracks_changes_and_deletions(fresh_kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "team-runbooks"
    folder.mkdir()
    doc = folder / "warp.md"
    doc.write_text(
        "---\nid: rb-warp-core\ntitle: Warp core breach\ncategory: cpu_saturation\n"
        "checks: [{name: hot, metric: cpu_usage_ratio}]\nactions: [{tool: scale_service}]\n---\n"
        "## Symptoms\nThe dilithium chamber overheats.\n"
    )
    first = fresh_kb.ingest([folder])
    assert (first.added, first.unchanged) == (1, 0)
    again = fresh_kb.ingest([folder])
    assert (again.added, again.updated, again.unchanged, again.chunks) == (0, 0, 1, 0)
    doc.write_text(doc.read_text().replace("overheats", "is flooded with plasma"))
    changed = fresh_kb.ingest([folder])
    assert changed.updated == 1
    assert "plasma" in fresh_kb.search("dilithium plasma flood", k=1)[0].snippet + " ".join(
        h.snippet for h in fresh_kb.search("plasma", k=3)
    )
    doc.unlink()
    gone = fresh_kb.ingest([folder])
    assert gone.removed == 1
    assert all(h.doc_id != "rb-warp-core" for h in fresh_kb.search("warp core dilithium", k=10))


def test_a_resolved_incident_is_the_top_hit_for_a_paraphrase(fresh_kb: KnowledgeBase) -> None:
    fresh_kb.ingest()
    fresh_kb.add_document(
        Document(
            id="inc-learned-test",
            kind="incident",
            title="Invoices stuck: PDF renderer leaked file handles",
            category="disk_full",
            services=["invoicing"],
            symptoms=["invoice PDFs never arrive"],
            meta={
                "root_cause": "renderer never closed temp files; /tmp filled",
                "fix": "restart renderer, patch close()",
            },
        )
    )
    hits = fresh_kb.search(
        "customers say their bills never show up, the pdf service temp dir is full", k=3, kind="incident"
    )
    assert hits[0].doc_id == "inc-learned-test"


def test_a_collection_refuses_a_different_embedding(tmp_path: Path) -> None:
    from knowledge.embeddings import MiniLMEmbedding

    client = open_client(tmp_path)
    open_collection(client, MiniLMEmbedding())
    with pytest.raises(EmbeddingError, match="built with embeddings"):
        open_collection(client, OpenAIEmbedding())


def test_collections_write_their_vector_index_out_often(tmp_path: Path) -> None:
    """Every process re-inserts the vectors added since Chroma last wrote its index: keep that short."""
    from knowledge.embeddings import MiniLMEmbedding

    client = open_client(tmp_path)
    assert open_collection(client, MiniLMEmbedding()).configuration["hnsw"]["sync_threshold"] == HNSW_SYNC_THRESHOLD
    client.create_collection(
        "made-before",
        embedding_function=MiniLMEmbedding(),  # Chroma's default: 1000
        metadata={"embedding": MiniLMEmbedding.name(), "hnsw:space": "cosine"},
    )
    open_collection(client, MiniLMEmbedding(), name="made-before")
    hnsw = client.get_collection("made-before").configuration["hnsw"]
    assert hnsw["sync_threshold"] == HNSW_SYNC_THRESHOLD and hnsw["space"] == "cosine"


def test_texts_are_kept_out_of_chromas_full_text_index_and_older_collections_still_read(tmp_path: Path) -> None:
    """New chunks carry their text in metadata (Chroma indexes a stored document for full-text search Andon
    never uses); a collection written with documents, as before, is searched the same."""
    from knowledge.embeddings import MiniLMEmbedding
    from knowledge.partition import TEXT_KEY

    client = open_client(tmp_path)
    kb = KnowledgeBase(open_collection(client, MiniLMEmbedding()), client=client)
    kb.ingest([])
    stored = kb.collection.get(limit=3, include=["documents", "metadatas"])
    assert stored["ids"] and all(doc is None for doc in stored["documents"])
    assert all(meta[TEXT_KEY] for meta in stored["metadatas"])
    old = open_collection(client, MiniLMEmbedding(), name="written-before")
    text = "Connection pool exhausted: every request waits for a pooled database connection"
    old.add(
        ids=["legacy#0"],
        documents=[text],
        metadatas=[{"doc_id": "legacy", "kind": "runbook", "title": "Legacy pool runbook", "heading": "summary"}],
    )
    hits = KnowledgeBase(old, include_bundled=False).search("pool exhausted waiting for a connection", k=1)
    assert [h.doc_id for h in hits] == ["legacy"] and "pooled database connection" in hits[0].snippet


def test_the_saved_lexical_index_follows_changes_made_by_another_process(tmp_path: Path) -> None:
    from bot.runtime import open_knowledge

    settings = load_settings(data_dir=tmp_path / "data")
    learned = Document(
        id="inc-cache-test",
        kind="incident",
        title="Invoices stuck",
        category="disk_full",
        symptoms=["invoice PDFs never arrive"],
        meta={"root_cause": "the renderer leaked temp files", "fix": "restart the renderer"},
    )
    writer = open_knowledge(settings, ingest=False)
    writer.add_document(learned)
    assert [
        h.doc_id for h in open_knowledge(settings, ingest=False).search("renderer leaked", k=1, method="lexical")
    ] == ["inc-cache-test"]
    # the same document rewritten: same chunk ids, same count, other words
    writer.add_document(
        learned.model_copy(update={"meta": {"root_cause": "the spooler lost its queue", "fix": "replay the spool"}})
    )
    [hit] = open_knowledge(settings, ingest=False).search("spooler queue", k=1, method="lexical")
    assert hit.doc_id == "inc-cache-test" and "spooler" in hit.snippet and "renderer" not in hit.snippet
    assert len(list((tmp_path / "data" / "lexical-index").iterdir())) == 1


def test_pages_live_in_their_own_collection_and_never_pass_for_runbooks(
    fresh_kb: KnowledgeBase, tmp_path: Path
) -> None:
    folder = tmp_path / "wiki"
    folder.mkdir()
    (folder / "pool.md").write_text(
        "---\nid: doc-wiki-pool-sizing\ntitle: Connection pool sizing (outdated copy)\n"
        "---\n## Symptoms\nConnection is not available, request timed out after 30000ms; "
        "db pool waiting, checkout p99 latency high.\n"
    )
    fresh_kb.ingest()
    main = fresh_kb.count()
    report = fresh_kb.ingest([folder])
    assert report.added == 1 and fresh_kb.count() == main + report.chunks
    assert fresh_kb.collection.count() == main, "pages go to the docs' collection"
    query = "checkout p99 latency high, db pool waiting: Connection is not available, request timed out after 30000ms"
    assert all(h.kind == "runbook" for h in fresh_kb.search(query, k=10, kind="runbook"))
    assert [h.doc_id for h in fresh_kb.search(query, k=1, kind="doc")] == ["doc-wiki-pool-sizing"]
    anything = [h.doc_id for h in fresh_kb.search(query, k=5)]
    assert anything[0] == "rb-db-connection-pool-exhaustion" and "doc-wiki-pool-sizing" in anything
    (folder / "pool.md").unlink()
    assert fresh_kb.ingest([folder]).removed == 1
    assert fresh_kb.search(query, k=5, kind="doc") == []
