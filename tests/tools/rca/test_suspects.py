"""How strongly the evidence points at a service: a sender takes the anomaly its load explains."""

from __future__ import annotations

from tests.support.telemetry import evidence_of, shift
from tools.rca.params import Params
from tools.rca.suspects import assess


def _sender_strength(propagated: bool) -> tuple[float, float]:
    """catalog-db's queries slowed ×5 under a reindex job's queries (the job barely shows on its own);
    returns the job's and the database's suspect scores."""
    view = evidence_of(
        [
            shift("catalog-db", "db_query_p99_seconds", 0.42, 2.29, 44.7, kind="latency"),
            shift("catalog-reindex", "jobs_active", 2.0, 3.0, 2.5, kind="traffic"),
        ]
    )
    view.services["catalog-db"].load_from = ["catalog-reindex"]
    view.senders = {"catalog-reindex"}
    if propagated:
        view.services["catalog-reindex"].propagated_from = ["search-index"]
    params = Params()
    job = assess("catalog-reindex", view, [], [], set(view.services), params)
    db = assess("catalog-db", view, [], [], set(view.services), params)
    return job.score, db.score


def test_a_service_named_as_sending_the_load_takes_the_anomaly_it_explains() -> None:
    job, db = _sender_strength(propagated=False)
    assert job > db, "the database is loaded; the job that loads it is what the evidence points at"
    passed_on, _ = _sender_strength(propagated=True)
    assert passed_on < job, "load it passes on from its own trouble's cause is not its own doing"
