"""The false-warning budget: past its budget of warnings called "not a problem" in a week (one, by default), a
service is warned about only at a raised threshold — that service alone — and every scan says so (``andon watch
--json``). Both numbers are settings."""

from __future__ import annotations

from bot.settings import load_settings
from bot.watch import Scanner, WatchParams, WatchState, watch_params
from bot.watch.budget import service_budgets
from bot.watch.state import Dismissal
from tests.bot.watch.conftest import T0, FakeMetrics
from tests.support.watch_metrics import fleet


def _dismissal(service: str, signal: str, at: float) -> Dismissal:
    return Dismissal(service, signal, None, "UALICE01", at)


def test_each_dismissal_over_the_budget_raises_the_threshold_of_that_service_alone() -> None:
    watch = WatchParams(false_warning_budget=1, budget_raise=1.5)
    dismissed = [
        _dismissal("payments", "error_ratio", T0 - 60),
        _dismissal("payments", "cpu_usage", T0 - 3600),
        _dismissal("payments", "memory_usage_bytes", T0 - 5 * 86400),
        _dismissal("search", "error_ratio", T0),
        _dismissal("orders", "error_ratio", T0 - 7 * 86400 - 1),
    ]  # a week and a second ago: out of the window

    budgets = service_budgets(dismissed, T0, 4.0, watch)

    assert sorted(budgets) == ["payments", "search"]
    assert budgets["payments"].dismissed == 3 and budgets["payments"].over
    assert budgets["payments"].threshold == 4.0 * 1.5**2
    assert not budgets["search"].over and budgets["search"].threshold == 4.0
    assert "3 warning(s) called not a problem in the last week (budget 1)" in budgets["payments"].describe()
    assert "warned only at z ≥ 9" in budgets["payments"].describe()


def test_the_default_budget_is_one_false_warning_per_service_per_week() -> None:
    watch = WatchParams()
    two_in_a_week = [_dismissal("payments", "error_ratio", T0 - 6 * 86400), _dismissal("payments", "cpu_usage", T0)]
    one_a_week = [_dismissal("search", "error_ratio", T0 - 8 * 86400), _dismissal("search", "cpu_usage", T0)]

    budgets = service_budgets(two_in_a_week + one_a_week, T0, 4.0, watch)

    assert (watch.false_warning_budget, watch.budget_window_s) == (1, 7 * 86400.0)
    assert budgets["payments"].over and budgets["payments"].threshold == 4.0 * watch.budget_raise
    assert budgets["search"].dismissed == 1 and not budgets["search"].over


def test_the_budget_and_its_window_are_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(data_dir=tmp_path, watch_false_warnings=3, watch_budget_days=1)
    watch = watch_params(settings)
    dismissed = [_dismissal("payments", s, T0 - i * 3600) for i, s in enumerate(["a", "b", "c", "d"])]

    budgets = service_budgets([*dismissed, _dismissal("payments", "e", T0 - 2 * 86400)], T0, 4.0, watch)

    assert (watch.false_warning_budget, watch.budget_window_s) == (3, 86400.0)
    assert budgets["payments"].dismissed == 4 and budgets["payments"].threshold == 4.0 * watch.budget_raise
    assert "in the last day (budget 3)" in budgets["payments"].describe()


def test_a_service_over_its_budget_is_not_warned_about_below_its_raised_threshold(state: WatchState) -> None:
    state.dismiss("payments", "error_ratio", "UALICE01", T0 - 600)
    state.dismiss("payments", "cpu_usage", "UBOB0001", T0 - 300)
    within = Scanner(FakeMetrics(fleet()), state, watch=WatchParams(budget_raise=1.5))
    spent = Scanner(FakeMetrics(fleet()), state, watch=WatchParams(budget_raise=20.0))  # z ≥ 80 on payments now

    assert [w.service for w in within.scan(T0).warnings] == ["payments"]  # z≈60 still clears 4 × 1.5
    report = spent.scan(T0 + 30)

    assert report.warnings == [] and report.over_budget == ["payments:latency_p99_seconds"]
    [budget] = report.to_dict()["budgets"]
    assert budget == {
        "service": "payments",
        "dismissed": 2,
        "budget": 1,
        "window_s": 7 * 86400.0,
        "threshold": 80.0,
        "over": True,
    }


def test_without_dismissals_there_is_no_budget_to_report(state: WatchState) -> None:
    report = Scanner(FakeMetrics(fleet()), state).scan(T0)

    assert report.to_dict()["budgets"] == [] and report.to_dict()["over_budget"] == []
