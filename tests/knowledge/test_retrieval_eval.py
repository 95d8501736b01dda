"""The labelled retrieval set: hybrid recall@5 must stay at or above the target."""

from __future__ import annotations

from evals.retrieval import distractor_dir, load_queries, run_retrieval_eval
from knowledge.documents import load_documents

RECALL5_TARGET = 0.95


def test_the_labelled_set_covers_every_runbook_from_incident_text() -> None:
    queries = load_queries()
    incidents = [q for q in queries if q["set"] == "incidents"]
    assert len(queries) >= 140 and len(incidents) >= 60
    assert all(q["kind"] in ("alert", "message") for q in incidents)
    assert all(q.get("alertname") for q in incidents if q["kind"] == "alert")
    distractors = load_documents([distractor_dir()])
    assert {d.kind for d in distractors} == {"doc", "runbook"}
    assert all(d.id.startswith("rb-dx-") for d in distractors if d.kind == "runbook")


def test_hybrid_retrieval_meets_its_recall_target() -> None:
    """A knowledge base of its own: the set is measured with its distractors ingested."""
    from bot.settings import load_settings

    queries = load_queries()
    result = run_retrieval_eval(load_settings(), queries=queries)
    assert result["queries"] == len(queries)
    for method in ("vector", "lexical", "hybrid"):
        assert set(result[method]) == {"recall@1", "recall@5", "mrr"}
    assert result["hybrid"]["recall@5"] >= RECALL5_TARGET, result["hybrid_misses"]
    assert result["hybrid"]["recall@5"] >= max(result["vector"]["recall@5"], result["lexical"]["recall@5"])
