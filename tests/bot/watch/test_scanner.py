"""One scan warns of a sustained bad change once per cooldown, not of a blip; a dismissal silences that shape;
the store keeps all of it across a restart; a silent source is reported blind once, then recovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import IncidentStore, open_store
from bot.watch import Scanner, WatchParams, WatchState
from tests.bot.watch.conftest import T0, FakeMetrics
from tests.support.watch_metrics import fleet
from tools.sources.base import Series


def test_a_sustained_step_raises_one_warning_naming_its_service_signal_and_start(state: WatchState) -> None:
    report = Scanner(FakeMetrics(fleet()), state).scan(T0)

    assert [(w.service, w.family, w.signal, w.new) for w in report.warnings] == [
        ("payments", "latency", "latency_p99_seconds", True)
    ]
    [warning] = report.warnings
    assert warning.before == pytest.approx(0.2, abs=0.02) and warning.after == pytest.approx(1.4, abs=0.05)
    assert T0 - 330 <= warning.since <= T0 - 270
    assert warning.describe().startswith("Early warning — payments latency_p99_seconds 0.")
    assert "→ 1.4" in warning.describe() and "since 07:55:00 UTC" in warning.describe()  # T0 - 300 s
    assert report.notices() == [warning.describe()]


def test_a_one_sample_blip_raises_none(state: WatchState) -> None:
    """The blip is the latest reading, so the engine scores it high (nothing after it to smooth it away): only the
    persistence check, two readings in a row with the evidence of three, keeps it quiet."""
    report = Scanner(FakeMetrics(fleet(step_to=None, blip=3.0)), state).scan(T0)

    assert report.warnings == []
    quick = Scanner(
        FakeMetrics(fleet(step_to=None, blip=3.0)), state, watch=WatchParams(sustain_samples=1, min_persistence=1)
    ).scan(T0)
    assert [w.service for w in quick.warnings] == ["payments"]  # the check is what stops it


def test_a_warning_is_told_once_per_cooldown(state: WatchState) -> None:
    scanner = Scanner(FakeMetrics(fleet()), state, watch=WatchParams(cooldown_s=600))

    first, again, later = scanner.scan(T0), scanner.scan(T0 + 30), scanner.scan(T0 + 600)

    assert [w.new for w in first.warnings] == [True]
    assert [w.new for w in again.warnings] == [False] and again.notices() == []  # still there, already told
    assert [w.new for w in later.warnings] == [True]  # the cooldown has passed: told again


def test_not_a_problem_suppresses_the_same_shape_afterwards(state: WatchState) -> None:
    scanner = Scanner(FakeMetrics(fleet()), state, watch=WatchParams(cooldown_s=600))
    assert [w.service for w in scanner.scan(T0).warnings] == ["payments"]

    state.dismiss("payments", "latency_p99_seconds", "U123", T0 + 10)

    for at in (T0 + 30, T0 + 600):  # within the cooldown and past it
        report = scanner.scan(at)
        assert report.warnings == [] and report.dismissed == ["payments:latency_p99_seconds"]
    assert state.dismissals()[("payments", "latency_p99_seconds")].by == "U123"


def test_a_change_much_larger_than_the_dismissed_one_is_warned_again(state: WatchState) -> None:
    Scanner(FakeMetrics(fleet(step_to=1.4)), state).scan(T0)  # a step, called harmless
    state.dismiss("payments", "latency_p99_seconds", None, T0)

    assert Scanner(FakeMetrics(fleet(step_to=1.4)), state).scan(T0 + 30).warnings == []
    larger = Scanner(FakeMetrics(fleet(step_to=4.4)), state).scan(T0 + 60)
    assert [w.signal for w in larger.warnings] == ["latency_p99_seconds"]


def test_a_restart_keeps_cooldowns_and_dismissals(database_url: str | None, tmp_path: Path) -> None:
    def scanner_over(store: IncidentStore, series: list[Series]) -> Scanner:
        return Scanner(FakeMetrics(series), WatchState(store.db), watch=WatchParams(cooldown_s=600))

    before = open_store(database_url, tmp_path / "data")
    search_slow = fleet()
    search_slow[3].values[search_slow[3].times >= T0 - 300] += 3.0
    assert {w.service for w in scanner_over(before, search_slow).scan(T0).warnings} == {"payments", "search"}
    WatchState(before.db).dismiss("search", "latency_p99_seconds", None, T0)
    before.db.close()

    after = open_store(database_url, tmp_path / "data")  # a new process over the same store
    try:
        report = scanner_over(after, search_slow).scan(T0 + 30)
    finally:
        after.db.close()
    assert [(w.service, w.new) for w in report.warnings] == [("payments", False)]
    assert report.dismissed == ["search:latency_p99_seconds"]


def test_a_failing_source_is_reported_blind_once_then_recovery(state: WatchState) -> None:
    metrics = FakeMetrics(fleet())
    scanner = Scanner(metrics, state)
    metrics.error = ConnectionError("prometheus:9090 refused")

    down, still_down = scanner.scan(T0), scanner.scan(T0 + 30)
    metrics.error = None
    back, after = scanner.scan(T0 + 60), scanner.scan(T0 + 90)

    assert down.blind == "blind: ConnectionError: prometheus:9090 refused" and down.notices() == [down.blind]
    assert down.warnings == []  # blind is not healthy, and not a finding either
    assert still_down.blind and still_down.notices() == []  # said once, not every scan
    assert back.blind is None and back.recovered
    assert back.notices()[0] == "watching again: the metrics source answers"
    assert not after.recovered and state.blind() is None


def test_no_series_at_all_is_blind_too(state: WatchState) -> None:
    report = Scanner(FakeMetrics([]), state).scan(T0)
    assert report.blind == "blind: no metric series in the window" and report.blind_new
