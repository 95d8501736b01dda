"""The labelled retrieval set: hybrid recall@5 must stay at or above the target."""

from __future__ import annotations

from evals.retrieval import load_queries, run_retrieval_eval

RECALL5_TARGET = 0.95


def test_hybrid_retrieval_meets_its_recall_target(kb: object) -> None:
    queries = load_queries()
    assert len(queries) >= 80
    from bot.settings import load_settings

    result = run_retrieval_eval(load_settings(), kb=kb, queries=queries)
    assert result["queries"] == len(queries)
    for method in ("vector", "lexical", "hybrid"):
        assert set(result[method]) == {"recall@1", "recall@5", "mrr"}
    assert result["hybrid"]["recall@5"] >= RECALL5_TARGET, result["hybrid_misses"]
