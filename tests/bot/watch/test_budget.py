"""The false-warning budget: past its budget of warnings called "not a problem" in a day, a service is warned
about only at a raised threshold — that service alone — and every scan says so (``andon watch --json``)."""

from __future__ import annotations

from bot.watch import Scanner, WatchParams, WatchState
from bot.watch.budget import service_budgets
from bot.watch.state import Dismissal
from tests.bot.watch.conftest import T0, FakeMetrics
from tests.bot.watch.test_scanner import fleet


def _dismissal(service: str, signal: str, at: float) -> Dismissal:
    return Dismissal(service, signal, None, "UALICE01", at)


def test_each_dismissal_over_the_budget_raises_the_threshold_of_that_service_alone() -> None:
    watch = WatchParams(false_warning_budget=1, budget_raise=1.5)
    dismissed = [_dismissal("payments", "error_ratio", T0 - 60), _dismissal("payments", "cpu_usage", T0 - 3600),
                 _dismissal("payments", "memory_usage_bytes", T0 - 7200), _dismissal("search", "error_ratio", T0),
                 _dismissal("orders", "error_ratio", T0 - 86401)]  # a day and a second ago: out of the window

    budgets = service_budgets(dismissed, T0, 4.0, watch)

    assert sorted(budgets) == ["payments", "search"]
    assert budgets["payments"].dismissed == 3 and budgets["payments"].over
    assert budgets["payments"].threshold == 4.0 * 1.5 ** 2
    assert not budgets["search"].over and budgets["search"].threshold == 4.0
    assert "warned only at z ≥ 9" in budgets["payments"].describe()


def test_a_service_over_its_budget_is_not_warned_about_below_its_raised_threshold(state: WatchState) -> None:
    state.dismiss("payments", "error_ratio", "UALICE01", T0 - 600)
    state.dismiss("payments", "cpu_usage", "UBOB0001", T0 - 300)
    within = Scanner(FakeMetrics(fleet()), state, watch=WatchParams(budget_raise=1.5))
    spent = Scanner(FakeMetrics(fleet()), state, watch=WatchParams(budget_raise=20.0))  # z ≥ 80 on payments now

    assert [w.service for w in within.scan(T0).warnings] == ["payments"]  # z≈60 still clears 4 × 1.5
    report = spent.scan(T0 + 30)

    assert report.warnings == [] and report.over_budget == ["payments:latency_p99_seconds"]
    [budget] = report.to_dict()["budgets"]
    assert budget == {"service": "payments", "dismissed": 2, "budget": 1, "threshold": 80.0, "over": True}


def test_without_dismissals_there_is_no_budget_to_report(state: WatchState) -> None:
    report = Scanner(FakeMetrics(fleet()), state).scan(T0)

    assert report.to_dict()["budgets"] == [] and report.to_dict()["over_budget"] == []
