"""Runbook and incident parsing: every bundled document is valid; bad files say what is wrong."""

from __future__ import annotations

import pytest

from knowledge.documents import DocumentError, Runbook, chunk_document, load_documents, parse_document
from knowledge.retrieval import bundled_paths
from knowledge.taxonomy import categories

RUNBOOK = """---
id: rb-test
title: Test pool exhaustion
category: connection_pool_exhaustion
alerts: [DBPoolSaturated]
checks:
  - {name: pool saturated, metric: db_pool_in_use_ratio, expect: up, weight: 3}
actions:
  - {tool: scale_service, args: {replicas: "+2"}, risk: write, effect: more replicas}
---
# Test
## Symptoms
Waiting for connections.
## Mitigation
Scale out.
"""


def test_bundled_knowledge_is_large_valid_and_covers_the_taxonomy() -> None:
    docs = load_documents(bundled_paths())
    runbooks = [d for d in docs if isinstance(d, Runbook)]
    incidents = [d for d in docs if d.kind == "incident"]
    assert len(runbooks) >= 30 and len(incidents) >= 50
    assert all(rb.checks and rb.actions for rb in runbooks)
    covered = {d.category for d in docs}
    assert len(covered) >= 25 and covered <= set(categories())


def test_runbook_parses_and_chunks_by_heading() -> None:
    doc = parse_document(RUNBOOK, "test.md")
    assert isinstance(doc, Runbook) and doc.checks[0].kind == "metric" and doc.actions[0].tool == "scale_service"
    chunks = chunk_document(doc)
    assert [c.heading for c in chunks] == ["summary", "Symptoms", "Mitigation"]
    assert all(c.metadata["doc_id"] == "rb-test" and c.metadata["alerts"] == "DBPoolSaturated" for c in chunks)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("# no front matter", "no YAML front matter"),
        ("---\nid: rb-x\ntitle: [unclosed\n---\n", "not valid YAML"),
        ("---\nid: rb-x\ntitle: X\ncategory: gremlins\n---\n", "unknown category"),
        ("---\nid: rb-x\ntitle: X\ncategory: disk_full\nchecks: [{name: c, metric: m, log: x}]\n---\n", "exactly one"),
        ("---\nid: rb-x\ntitle: X\ncategory: disk_full\nchecks: [{name: c, log: '(['}]\n---\n", "bad log regex"),
    ],
)
def test_bad_documents_name_the_file_and_the_problem(text: str, problem: str) -> None:
    with pytest.raises(DocumentError, match=problem) as info:
        parse_document(text, "broken.md")
    assert "broken.md" in str(info.value)


def test_a_page_is_a_doc_and_needs_no_category() -> None:
    page = parse_document(
        "---\nid: doc-wiki-kafka\ntitle: Kafka cluster overview\ntags: [kafka]\n---\n## Brokers\nFive.\n", "kafka.md"
    )
    assert page.kind == "doc" and page.category == ""
    assert "category" not in chunk_document(page)[0].metadata, "empty fields are not stored"
    assert parse_document("---\nid: notes\nkind: doc\ntitle: Notes\n---\nText.\n").kind == "doc"
    with pytest.raises(DocumentError, match="unknown category"):
        parse_document("---\nid: doc-x\ntitle: X\ncategory: gremlins\n---\n", "x.md")
    with pytest.raises(DocumentError, match="needs a category"):
        parse_document("---\nid: rb-x\ntitle: X\n---\n", "x.md")


def test_the_runaway_job_runbook_reads_a_batch_counter_as_job_progress() -> None:
    import re

    runbook = next(d for d in load_documents(bundled_paths()) if isinstance(d, Runbook) and d.category == "runaway_job")
    pattern = re.compile(str(next(c.log for c in runbook.checks if c.log)))
    assert pattern.search("[run month-end-close-29583420] INFO batch 412/1812: locked 500 journal_entries FOR UPDATE")
    assert pattern.search("reindex: processing chunk 3 of 40")
    assert not pattern.search("GET /v1/orders?page=3 200"), "a request for a page is no batch job"
