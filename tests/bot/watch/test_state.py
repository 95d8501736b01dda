"""The watch's memory beyond cooldowns and dismissals: silences hold a warning quiet until they end; where each
warning was told (its thread) is kept, and a service's live threads are found for an alert — open warnings,
and those closed within the grace — across a restart, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from bot.store import IncidentStore, open_store
from bot.watch import Scanner, WatchParams, WatchState
from bot.watch.state import WarningThread
from tests.bot.watch.conftest import T0, FakeMetrics
from tests.support.watch_metrics import fleet


def _thread(key: str, posted_at: float = T0) -> WarningThread:
    return WarningThread(
        key=key,
        channel="CINCIDENT1",
        ts="1800000000.000100",
        posted_at=posted_at,
        opened_at=T0,
        text="Early warning — payments …",
        outcome={"action": "silenced", "by": "UALICE01"},
    )


def test_a_silenced_warning_is_not_told_until_its_silence_ends(state: WatchState) -> None:
    scanner = Scanner(FakeMetrics(fleet()), state, watch=WatchParams(cooldown_s=0.0))
    [warning] = scanner.scan(T0).warnings

    state.silence(warning.key, T0 + 120, "UALICE01")

    assert [w.new for w in scanner.scan(T0 + 60).warnings] == [False]  # no cooldown: only the silence holds it
    assert [w.new for w in scanner.scan(T0 + 120).warnings] == [True]
    assert state.silenced_until(warning.key) == T0 + 120 and state.silenced_until("warning:x:y") is None


def test_threads_are_kept_and_a_service_finds_its_live_ones(state: WatchState) -> None:
    scanner = Scanner(FakeMetrics(fleet()), state)
    [warning] = scanner.scan(T0).warnings
    state.remember_thread(_thread(warning.key))

    assert state.thread(warning.key) == _thread(warning.key)
    assert [t.key for t in state.threads_of("payments", T0 + 60, grace_s=600)] == [warning.key]
    assert state.threads_of("search", T0 + 60, grace_s=600) == []
    state.close_unseen(set(), T0 + 100)
    assert [t.key for t in state.threads_of("payments", T0 + 700, grace_s=600)] == [warning.key]  # within grace
    assert state.threads_of("payments", T0 + 701, grace_s=600) == []


def test_threads_and_silences_outlive_a_restart(database_url: str | None, tmp_path: Path) -> None:
    first = open_store(database_url, tmp_path / "data")
    try:
        WatchState(first.db).remember_thread(_thread("warning:payments:latency"))
        WatchState(first.db).silence("warning:payments:latency", T0 + 3600, None)
    finally:
        first.db.close()
    again = open_store(database_url, tmp_path / "data")
    try:
        state = WatchState(again.db)
        assert state.thread("warning:payments:latency") == _thread("warning:payments:latency")
        assert state.silenced_until("warning:payments:latency") == T0 + 3600
    finally:
        again.db.close()


def test_odd_notes_read_as_none(store: IncidentStore, state: WatchState) -> None:
    with store.db.transaction() as cur:
        cur.execute("INSERT INTO watch_notes (name, value, at) VALUES (%s, %s, %s)", ("thread:a", "{not json", 0.0))
        cur.execute(
            "INSERT INTO watch_notes (name, value, at) VALUES (%s, %s, %s)", ("thread:b", '{"channel": 1}', 0.0)
        )
        cur.execute(
            "INSERT INTO watch_notes (name, value, at) VALUES (%s, %s, %s)", ("silence:c", '{"until": "x"}', 0.0)
        )

    assert state.thread("a") is None and state.thread("b") is None and state.silenced_until("c") is None


def test_an_incident_an_alert_brought_into_a_warning_thread_starts_at_the_warning(store: IncidentStore) -> None:
    """The store's side of attach-on-alert (``IncidentStore.record_lead``), on both backends."""
    store.upsert_incident(
        {"id": "inc-1", "title": "HighErrorRate", "services": ["gateway"]}, channel="C1", thread_ts="1.2"
    )
    opened = store.get("inc-1")
    assert opened is not None and opened["warned_at"] is None and opened["lead_s"] is None

    warned = opened["created_at"] - 100.0
    store.record_lead("inc-1", warned, 42.5, group_key="group-a")
    store.record_lead("inc-1", warned + 10, 99.0)  # a later alert keeps the first lead

    incident = store.get("inc-1")
    assert incident is not None
    assert (incident["created_at"], incident["warned_at"], incident["lead_s"]) == (warned, warned, 42.5)
    assert incident["group_key"] == "group-a" and store.find_open_by_group("group-a") is not None
