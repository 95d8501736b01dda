""" "Not a problem" feeds the learning module: the dismissal becomes a learned no-fault past incident of that
service in the knowledge base (one per service and signal, replaced when dismissed again), and both it and the
watch's own dismissal outlive a restart — the same shape on the same service is not flagged again, a much
larger one still is. Learning never breaks a dismissal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.runtime import open_knowledge
from bot.settings import load_settings
from bot.store import open_store
from bot.watch import Scanner, WatchParams, WatchState
from bot.watch.learning import dismissal_doc_id, dismissal_document, learn_dismissal
from knowledge.partition import TEXT_KEY
from tests.bot.watch.conftest import T0, FakeMetrics
from tests.support.watch_metrics import fleet


def _kb(data_dir: Path) -> Any:
    return open_knowledge(load_settings(data_dir=data_dir), ingest=False)


def test_a_dismissed_warning_becomes_a_no_fault_past_incident_of_its_service() -> None:
    detail = {
        "service": "payments",
        "family": "latency",
        "signal": "latency_p99_seconds",
        "before": 0.2,
        "after": 1.4,
        "score": 60.6,
        "text": "Early warning — payments latency_p99_seconds 0.2 → 1.4",
    }

    doc = dismissal_document("payments", "latency_p99_seconds", detail, "UALICE01", T0)

    assert (doc.id, doc.kind, doc.category) == (
        dismissal_doc_id("payments", "latency_p99_seconds"),
        "incident",
        "no_fault",
    )
    assert doc.services == ["payments"] and doc.alerts == ["AndonEarlyWarning"]
    assert "latency_p99_seconds went up from 0.2 to 1.4" in doc.body and "z=60.6" in doc.body
    assert "called it not a problem on 2027-01-15 08:00 UTC" in doc.body and "UALICE01" in doc.body
    assert dismissal_doc_id("payments", "latency_p99_seconds") != dismissal_doc_id("search", "latency_p99_seconds")


def test_learning_without_a_knowledge_base_or_with_a_broken_one_says_none_and_raises_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Refusing:
        def add_document(self, doc: Any) -> None:
            raise RuntimeError("chroma is read-only")

    assert learn_dismissal(None, "payments", "error_ratio", {}, None, T0) is None
    assert learn_dismissal(Refusing(), "payments", "error_ratio", {}, None, T0) is None
    assert "could not learn the dismissal of payments error_ratio" in caplog.text


def test_the_dismissal_and_what_was_learned_outlive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = open_store(None, data)
    state = WatchState(store.db)
    scanner = Scanner(FakeMetrics(fleet()), state, watch=WatchParams(cooldown_s=0.0))
    [warning] = scanner.scan(T0).warnings
    state.dismiss(warning.service, warning.signal, "UALICE01", T0 + 10)
    learned = learn_dismissal(_kb(data), warning.service, warning.signal, warning.to_dict(), "UALICE01", T0 + 10)
    store.db.close()

    again = open_store(None, data)  # a new process: the store and the knowledge base opened afresh
    try:
        after = Scanner(FakeMetrics(fleet()), WatchState(again.db), watch=WatchParams(cooldown_s=0.0))
        same = after.scan(T0 + 30)
        grown = Scanner(FakeMetrics(fleet(step_to=20.0)), WatchState(again.db), watch=WatchParams(cooldown_s=0.0)).scan(
            T0 + 60
        )
    finally:
        again.db.close()
    hits = _kb(data).search("payments latency_p99_seconds not a problem", k=3, kind="incident", service="payments")

    assert same.warnings == [] and same.dismissed == ["payments:latency_p99_seconds"]
    assert [w.signal for w in grown.warnings] == ["latency_p99_seconds"]  # another shape: three times the size
    assert learned == dismissal_doc_id("payments", "latency_p99_seconds")
    assert [(h.doc_id, h.category) for h in hits[:1]] == [(learned, "no_fault")]


def test_dismissing_again_replaces_the_learned_document(tmp_path: Path) -> None:
    kb = _kb(tmp_path / "data")
    learn_dismissal(kb, "search", "error_ratio", {"score": 5.0}, "UALICE01", T0)
    learn_dismissal(kb, "search", "error_ratio", {"score": 9.0}, "UBOB0001", T0 + 60)

    hits = kb.search("search error_ratio not a problem", k=5, kind="incident")

    assert [h.doc_id for h in hits] == [dismissal_doc_id("search", "error_ratio")]
    stored = "\n".join(str(m[TEXT_KEY]) for m in kb.collection.get(where={"doc_id": hits[0].doc_id})["metadatas"])
    assert "UBOB0001" in stored and "z=9.0" in stored and "UALICE01" not in stored
