"""Score-aware fusion and the metadata on top of it, on hand-made candidates."""

from __future__ import annotations

import pytest

from knowledge.fusion import BEST_SCORE, Candidate, fuse
from knowledge.query import SearchQuery, incident_query
from knowledge.ranking import ALERT_BOOST, CATEGORY_BOOST, DOC_PRIOR, RUNBOOK_PRIOR, adjust


def _candidate(
    doc: str, cosine: float, bm25: float, vector_rank: int | None = None, lexical_rank: int | None = None, **meta: str
) -> Candidate:
    return Candidate(
        chunk_id=f"{doc}#0",
        meta={"doc_id": doc, **meta},
        text=doc,
        cosine=cosine,
        bm25=bm25,
        vector_rank=vector_rank,
        lexical_rank=lexical_rank,
    )


def test_near_equal_noise_on_the_vector_side_cannot_outvote_a_clear_keyword_match() -> None:
    """The failure at scale: ten noise chunks a hair closer in meaning than the runbook, which BM25 puts first."""
    noise = [_candidate(f"note-{i}", 0.62 - i * 0.001, 1.0, vector_rank=i + 1, lexical_rank=i + 2) for i in range(10)]
    runbook = _candidate("rb-disk-full", 0.58, 9.0, vector_rank=12, lexical_rank=1)
    candidates = [*noise, runbook]
    by_score = fuse(candidates, fusion="max")
    assert max(by_score, key=lambda d: by_score[d].score) == "rb-disk-full"
    by_rank = fuse(candidates, fusion="rrf")
    assert max(by_rank, key=lambda d: by_rank[d].score) == "note-0", "the reciprocal-rank fusion this replaces"


@pytest.mark.parametrize("fusion", ["max", "minmax", "rrf"])
def test_a_document_first_on_both_sides_gets_the_best_score(fusion: str) -> None:
    fused = fuse([_candidate("rb-a", 0.8, 5.0, 1, 1), _candidate("rb-b", 0.5, 2.0, 2, 2)], fusion=fusion)  # type: ignore[arg-type]
    assert fused["rb-a"].score == pytest.approx(BEST_SCORE)
    assert fused["rb-b"].score < fused["rb-a"].score


def test_a_single_document_scores_in_full() -> None:
    """A scenario's own layer may hold one runbook: it must not score zero against the bundled knowledge."""
    [(doc, fused)] = fuse([_candidate("rb-team", 0.7, 3.0, 1, 1)]).items()
    assert doc == "rb-team" and fused.score == pytest.approx(BEST_SCORE)


def test_a_document_takes_the_best_of_its_chunks_on_each_side() -> None:
    summary = Candidate("rb-a#0", {"doc_id": "rb-a"}, "summary", cosine=0.9, bm25=0.5, vector_rank=1)
    section = Candidate("rb-a#2", {"doc_id": "rb-a"}, "section", cosine=0.8, bm25=6.0, lexical_rank=1)
    other = _candidate("rb-b", 0.6, 3.0, 2, 2)
    fused = fuse([summary, section, other])
    assert fused["rb-a"].score == pytest.approx(BEST_SCORE)
    assert fused["rb-a"].best.text == "section", "the chunk with the query's words speaks for the document"


def test_metadata_moves_documents_by_alert_service_category_and_kind() -> None:
    query = SearchQuery(
        text="orders-db disk full",
        alertname="KubePersistentVolumeFillingUp",
        services=("orders-db",),
        categories=("disk_full",),
    )
    runbook = {"kind": "runbook", "alerts": "KubePersistentVolumeFillingUp", "services": "*", "category": "disk_full"}
    delta, why = adjust(runbook, query, mixed=True)
    assert delta == pytest.approx(ALERT_BOOST + CATEGORY_BOOST + RUNBOOK_PRIOR)
    assert why == ["alert name matches", "category matches"]
    page = {"kind": "doc", "services": "orders-db"}
    delta, why = adjust(page, query, mixed=True)
    assert delta < ALERT_BOOST and "service matches" in why and DOC_PRIOR < 0
    assert adjust(page, query, mixed=False)[0] > delta, "the kind priors apply only to a search over every kind"
    elsewhere = {"kind": "runbook", "services": "payments,checkout"}
    assert adjust(elsewhere, query, mixed=False)[0] < 0


def test_the_incident_query_adds_alert_services_categories_and_moved_signals() -> None:
    incident = {
        "title": "Disk: orders-db volume 97%",
        "text": "orders-db volume 97% full",
        "alertname": "DiskAlmostFull",
        "services": ["orders-db", "orders"],
    }
    first = incident_query(incident)
    assert first.alertname == "DiskAlmostFull" and first.service == "orders-db" and first.categories == ()
    assert "DiskAlmostFull" in first.text and "orders" in first.text
    hypotheses = [
        {"category": "disk_full", "service": "orders"},
        {"service": "orders-db"},
        {"category": "log_volume_explosion"},
        {"category": "crash_loop", "service": "cart"},
    ]
    diagnosed = incident_query(incident, hypotheses, ["disk_usage_ratio", "log_lines_rate", "disk_usage_ratio"])
    assert diagnosed.categories == ("disk_full", "log_volume_explosion")
    assert diagnosed.services == ("orders", "orders-db"), "the leading suspect's service first"
    assert diagnosed.text.endswith("disk full log volume explosion disk_usage_ratio log_lines_rate")
