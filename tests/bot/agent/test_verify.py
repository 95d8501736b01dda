"""The verify node: a level (a ratio, a latency) is recovered when it is back near its pre-onset value,
most of the way from the worst it reached; a counter (``restarts_total``) when it stopped growing faster
than before the onset — its level never comes back down, so comparing levels would report a fixed crash
loop as still broken. The symptom judged is the one the diagnosis' runbook checks first."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from bot.agent.context import AgentContext
from bot.agent.nodes.closing import increase, is_counter, symptom_recovered, symptom_series, verify
from bot.settings import Settings
from tools import default_registry
from tools.sources import MetricsSource, Series, Sources

ONSET = 1_000_000.0
FIXED = ONSET + 60.0
NOW = FIXED + 40.0


class Recorded:
    """A metrics source holding one series per metric, sampled every 2 s; answers any window of it."""

    def __init__(self, **curves: Any) -> None:
        self.times = np.arange(ONSET - 120.0, NOW + 1.0, 2.0)
        self.curves = {name: np.array([curve(t) for t in self.times], dtype=float) for name, curve in curves.items()}

    def query_range(self, query: str, start: float, end: float, step: float) -> list[Series]:
        name = query.split("{", 1)[0]
        keep = (self.times >= start) & (self.times <= end)
        return [Series({"__name__": name, "service": "inventory"}, self.times[keep], self.curves[name][keep])]

    def query(self, query: str, at: float) -> list[Series]:
        return []

    def candidate_series(self, start: float, end: float, step: float) -> list[Series]:
        return []


def _restarts(crash_every_s: float, until: float, start: float = ONSET) -> Any:
    """A crash loop from ``start``: a restart every ``crash_every_s`` until ``until``, then none."""
    return lambda t: 0.0 if t < start else float((min(t, until) - start) // crash_every_s)


def _state(metric: str, before: float, after: float, fixed: float = FIXED) -> dict[str, Any]:
    anomaly = {
        "service": "inventory",
        "score": 9.0,
        "raw_score": 40.0,
        "fault_score": 40.0,
        "onset": ONSET,
        "series": [
            {
                "metric": metric,
                "kind": "restarts",
                "score": 40.0,
                "direction": "up",
                "onset": ONSET,
                "before": before,
                "after": after,
            }
        ],
    }
    return {
        "incident": {"id": "inc-verify", "started_at": ONSET + 10},
        "hypotheses": [{"service": "inventory", "category": "crash_loop", "confidence": 0.9}],
        "calls": [{"id": "c1", "tool": "rank_anomalies", "status": "ok", "data": [anomaly]}],
        "actions": [{"tool": "rollback_deploy", "status": "executed", "at": fixed}],
    }


def _context(settings: Settings, metrics: MetricsSource, now: float = NOW) -> AgentContext:
    return AgentContext(
        settings=settings,
        registry=default_registry(),
        sources=Sources(metrics=metrics),
        reasoners={},
        clock=lambda: now,
    )


def test_counters_are_told_by_their_names() -> None:
    assert is_counter("restarts_total") and is_counter("http_requests_count") and is_counter("gc_pause_seconds_sum")
    assert is_counter("restarts", {"type": "counter"})
    assert not is_counter("memory_usage_bytes") and not is_counter("error_ratio")


def test_increase_counts_a_counter_reset_as_growth() -> None:
    times = [0.0, 2.0, 4.0, 6.0, 8.0]
    assert increase(times, [1.0, 3.0, 3.0, 1.0, 2.0], 0.0, 8.0) == 2.0 + 1.0 + 1.0
    assert increase(times, [1.0, 3.0, 3.0, 1.0, 2.0], 4.0, 8.0) == 2.0


def test_a_crash_loop_that_stopped_restarting_has_recovered(settings: Settings) -> None:
    """restarts_total stays at 30 after the fix: far from its pre-onset 0, yet the crashes stopped. Comparing
    levels (the old behaviour) said "not recovered" for ever."""
    metrics = Recorded(restarts_total=_restarts(2.0, FIXED))
    recovered, detail = symptom_recovered(_context(settings, metrics), _state("restarts_total", 0.0, 30.0))
    assert recovered is True, detail
    assert "restarts_total of inventory" in detail and "/min" in detail
    update = verify(_state("restarts_total", 0.0, 30.0), SimpleNamespace(context=_context(settings, metrics)))  # type: ignore[arg-type]
    assert update["verification"]["recovered"] is True


def test_a_crash_loop_caught_and_fixed_within_seconds_of_its_change_point(settings: Settings) -> None:
    """The change point sits after the first restarts, and the fix lands 3 s after it: the fault's rate is
    measured from before the change point."""
    fixed = ONSET + 3.0
    metrics = Recorded(restarts_total=_restarts(1.5, fixed, start=ONSET - 6.0))
    state = _state("restarts_total", 0.0, 4.0, fixed=fixed)
    assert symptom_recovered(_context(settings, metrics, now=fixed + 6.0), state)[0] is None
    recovered, detail = symptom_recovered(_context(settings, metrics, now=fixed + 25.0), state)
    assert recovered is True, detail


def test_a_crash_loop_still_restarting_has_not_recovered(settings: Settings) -> None:
    metrics = Recorded(restarts_total=_restarts(2.0, NOW + 100))
    recovered, detail = symptom_recovered(_context(settings, metrics), _state("restarts_total", 0.0, 30.0))
    assert recovered is False, detail


def test_too_soon_after_the_fix_a_counter_is_not_judged(settings: Settings) -> None:
    metrics = Recorded(restarts_total=_restarts(2.0, FIXED))
    recovered, detail = symptom_recovered(
        _context(settings, metrics, now=FIXED + 4.0), _state("restarts_total", 0.0, 30.0)
    )
    assert recovered is None and "too soon" in detail


@pytest.mark.parametrize(("now_level", "expected"), [(0.02, True), (0.35, False)])
def test_a_level_is_compared_with_its_level_before_the_onset(
    settings: Settings, now_level: float, expected: bool
) -> None:
    metrics = Recorded(error_ratio=lambda t: 0.01 if t < ONSET else 0.4 if t < FIXED else now_level)
    recovered, _ = symptom_recovered(_context(settings, metrics), _state("error_ratio", 0.01, 0.4))
    assert recovered is expected


def test_a_level_is_judged_against_the_worst_it_reached_before_the_fix(settings: Settings) -> None:
    """Diagnosed at 0.65 s, the latency kept climbing to 2 s until the fix; 0.24 s now is most of the way back."""

    def latency(t: float) -> float:
        if t < ONSET:
            return 0.05
        return min(0.65 + (t - ONSET) * 0.05, 2.0) if t < FIXED else 0.24

    metrics = Recorded(latency_p99_seconds=latency)
    recovered, detail = symptom_recovered(_context(settings, metrics), _state("latency_p99_seconds", 0.05, 0.65))
    assert recovered is True, detail
    assert "worst 2" in detail


class _Runbooks:
    def __init__(self, *ids: str) -> None:
        from knowledge.documents import Runbook, load_documents
        from knowledge.taxonomy import bundled_dir

        docs = load_documents(sorted((bundled_dir() / "runbooks").glob("*.md")))
        self.found = [d for d in docs if isinstance(d, Runbook) and d.id in ids]

    def runbooks(self) -> list[Any]:
        return self.found


def test_the_symptom_verified_is_the_one_the_runbook_checks_first(settings: Settings) -> None:
    """The crash loop's start-ups were CPU-throttled (the most anomalous series), but the crash-loop runbook's
    symptom is the restart count: that is what the fix must stop."""
    state = _state("restarts_total", 0.0, 3.0)
    state["hypotheses"][0]["runbook_id"] = "rb-crash-loop"
    throttled = {
        "metric": "cpu_throttled_ratio",
        "kind": "cpu",
        "score": 135.0,
        "direction": "up",
        "onset": ONSET,
        "before": 0.0,
        "after": 0.75,
    }
    state["calls"][0]["data"][0]["series"].insert(0, throttled)
    metrics = Recorded(restarts_total=_restarts(2.0, FIXED), cpu_throttled_ratio=lambda t: 0.75 if t < NOW else 0.7)
    ctx = _context(settings, metrics)
    assert symptom_series(ctx, state, "inventory")["metric"] == "cpu_throttled_ratio"  # type: ignore[index]
    ctx.kb = _Runbooks("rb-crash-loop")  # type: ignore[assignment]
    assert symptom_series(ctx, state, "inventory")["metric"] == "restarts_total"  # type: ignore[index]
    recovered, detail = symptom_recovered(ctx, state)
    assert recovered is True and detail.startswith("restarts_total"), detail


class Readings(Recorded):
    """Each query sees the error ratio's latest samples at the next level of ``levels`` (the last one repeats)."""

    def __init__(self, *levels: float) -> None:
        super().__init__(error_ratio=lambda t: 0.01 if t < ONSET else 0.4)
        self.levels = levels
        self.readings = 0

    def query_range(self, query: str, start: float, end: float, step: float) -> list[Series]:
        level = self.levels[min(self.readings, len(self.levels) - 1)]
        self.readings += 1
        found = super().query_range(query, start, end, step)[0]
        values = found.values.copy()
        values[-3:] = level
        return [Series(found.labels, found.times, values)]


@pytest.mark.parametrize(
    ("levels", "expected", "readings"), [((0.02, 0.38, 0.02, 0.02), True, 4), ((0.02, 0.38, 0.39), False, None)]
)
def test_recovery_is_declared_only_when_it_holds_for_consecutive_readings(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, levels: tuple[float, ...], expected: bool, readings: int | None
) -> None:
    """A dip in a symptom that is still there (one good reading, then bad again) is not a recovery."""
    monkeypatch.setattr("bot.agent.nodes.closing.VERIFY_POLL_S", 0.01)
    metrics = Readings(*levels)
    ctx = _context(settings, metrics)
    ctx.verify_wait_s = 0.3
    update = verify(_state("error_ratio", 0.01, 0.4), SimpleNamespace(context=ctx))  # type: ignore[arg-type]
    assert update["verification"]["recovered"] is expected, update
    if readings is not None:
        assert metrics.readings == readings, "good, bad, good, good: the fourth reading confirms"


def test_a_signal_derived_from_standard_names_is_read_again_by_its_key() -> None:
    """On a stack read through a signal profile, ``latency_p99_seconds{service="api"}`` exists nowhere;
    the shifted series' own key (``…{profile="otel-http",service_name="api"}``) is what answers."""
    from bot.agent.nodes.closing import _read

    key = 'latency_p99_seconds{profile="otel-http",service_name="api"}'
    answered: list[str] = []

    class ProfileOnly:
        def query_range(self, query: str, start: float, end: float, step: float) -> list[Series]:
            answered.append(query)
            if query != key:
                return []
            return [
                Series(
                    {"__name__": "latency_p99_seconds", "service": "api"}, np.array([start, end]), np.array([0.2, 0.2])
                )
            ]

    top = {"metric": "latency_p99_seconds", "key": key}
    found = _read(ProfileOnly(), top, "api", ONSET, NOW, 5.0)  # type: ignore[arg-type]
    assert len(found) == 1 and answered == ['latency_p99_seconds{service="api"}', key]


def test_a_level_is_read_on_the_pods_alive_now_not_on_one_a_restart_replaced() -> None:
    """The replaced pod's series stopped at its worst; the live pod's is back to normal: recovered."""
    from bot.agent.nodes.closing import _level_recovered

    class Pods:
        def query_range(self, query: str, start: float, end: float, step: float) -> list[Series]:
            gone_t = np.arange(ONSET - 60.0, ONSET + 30.0, 5.0)
            live_t = np.arange(ONSET + 20.0, NOW + 1.0, 5.0)
            return [
                Series(
                    {"__name__": "error_ratio", "service": "api", "pod": "api-a"},
                    gone_t,
                    np.where(gone_t < ONSET, 0.01, 0.5),
                ),
                Series(
                    {"__name__": "error_ratio", "service": "api", "pod": "api-b"},
                    live_t,
                    np.where(live_t < FIXED, 0.5, 0.01),
                ),
            ]

    top = {"metric": "error_ratio", "onset": ONSET, "before": 0.01, "after": 0.5}
    state: Any = {"actions": [{"status": "executed", "at": FIXED}], "incident": {}}
    ok, detail = _level_recovered(Pods(), NOW, state, "api", top)  # type: ignore[arg-type]
    assert ok is True, detail


class Cadvisor:
    """A Prometheus read through the cAdvisor profile, on a 5 s grid: a memory leak in pod ``checkout-old``
    until the restart at FIXED replaced it with ``checkout-new``. The old pod's series ends there (its
    exporter dropped it and Prometheus marked it stale); only a profile key answers (no recording rules)."""

    def __init__(self, replaced_at: float = FIXED) -> None:
        old_t = np.arange(ONSET - 60.0, replaced_at, 5.0)
        new_t = np.arange(replaced_at + 5.0, NOW + 0.5, 5.0)
        self.series = [
            Series(
                {"__name__": "memory_usage_bytes", "service": "checkout", "pod": "checkout-old", "profile": "cadvisor"},
                old_t,
                np.where(old_t < ONSET, 3e7, 2.3e8),
            ),
            Series(
                {"__name__": "memory_usage_bytes", "service": "checkout", "pod": "checkout-new", "profile": "cadvisor"},
                new_t,
                np.full(len(new_t), 3e7),
            ),
        ]
        self.asked: list[str] = []

    def query_range(self, query: str, start: float, end: float, step: float) -> list[Series]:
        from tools.sources.profiles import parse_selector

        self.asked.append(query)
        parsed = parse_selector(query)
        if parsed is None or "profile" not in parsed[1]:
            return []
        name, labels = parsed
        return [s for s in self.series if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]


def test_a_level_keyed_on_a_pod_is_read_again_on_the_pods_the_service_has_now() -> None:
    """The key of the shifted series names the pod the restart replaced; reading it again by that key saw
    only the dead pod's last (worst) readings: "before 2.976e+07, worst 2.327e+08, now 1.429e+08"."""
    from bot.agent.nodes.closing import _level_recovered

    metrics = Cadvisor()
    top = {
        "metric": "memory_usage_bytes",
        "onset": ONSET,
        "before": 3e7,
        "after": 2.3e8,
        "key": 'memory_usage_bytes{pod="checkout-old",profile="cadvisor",service="checkout"}',
    }
    state: Any = {"actions": [{"status": "executed", "at": FIXED}], "incident": {}}
    ok, detail = _level_recovered(metrics, NOW, state, "checkout", top)  # type: ignore[arg-type]
    assert ok is True, detail
    assert metrics.asked[-1] == 'memory_usage_bytes{profile="cadvisor",service="checkout"}'
    assert "worst 2.3e+08" in detail, "the dead pod still tells how bad the fault got"


def test_a_series_ended_by_a_staleness_marker_is_not_read_as_now_even_moments_later() -> None:
    """Ten seconds after the restart the old pod's series has no point at the newest step: it is gone, not a
    live pod that happens to be lagging."""
    from bot.agent.nodes.closing import _level_recovered

    top = {
        "metric": "memory_usage_bytes",
        "onset": ONSET,
        "before": 3e7,
        "after": 2.3e8,
        "key": 'memory_usage_bytes{profile="cadvisor",service="checkout"}',
    }
    state: Any = {"actions": [{"status": "executed", "at": NOW - 10.0}], "incident": {}}
    ok, detail = _level_recovered(Cadvisor(replaced_at=NOW - 10.0), NOW, state, "checkout", top)  # type: ignore[arg-type]
    assert ok is True, detail


def test_a_live_series_sampled_more_coarsely_than_the_step_still_counts_as_now() -> None:
    """Raw samples every 15 s, out of phase with another series: both are live."""
    from bot.agent.nodes.closing import _alive

    a = Series({"pod": "a"}, np.arange(NOW - 60.0, NOW + 0.5, 15.0), np.ones(5))
    b = Series({"pod": "b"}, np.arange(NOW - 70.0, NOW - 9.5, 15.0), np.ones(5))
    gone = Series({"pod": "c"}, np.arange(NOW - 100.0, NOW - 39.5, 15.0), np.ones(5))
    assert [s.labels["pod"] for s in _alive([a, b, gone], 5.0)] == ["a", "b"]


def test_a_crash_loop_keyed_on_a_replaced_pod_is_judged_on_the_pod_that_replaced_it() -> None:
    """The replaced pod stops restarting because it is gone; its successor restarting as fast is no recovery."""
    from bot.agent.nodes.closing import _counter_recovered

    metrics = Cadvisor()
    for item in metrics.series:
        item.labels["__name__"] = "restarts_total"
        item.values = np.maximum(item.times - max(ONSET, float(item.times[0])), 0.0) // 5.0
    top = {
        "metric": "restarts_total",
        "onset": ONSET,
        "key": 'restarts_total{pod="checkout-old",profile="cadvisor",service="checkout"}',
    }
    state: Any = {"actions": [{"status": "executed", "at": FIXED}], "incident": {}}
    ok, detail = _counter_recovered(metrics, NOW, state, "checkout", top)  # type: ignore[arg-type]
    assert ok is False, detail


def test_a_callers_series_blamed_on_its_callee_is_read_again_as_the_caller_measured_it() -> None:
    """A slow dependency is verified on its callers' client-side latency: the series is the caller's
    (service="checkout"), the root cause the callee (payments)."""
    from bot.agent.nodes.closing import _read

    metrics = Cadvisor()
    metrics.series = [
        Series(
            {
                "__name__": "upstream_latency_seconds",
                "service": "checkout",
                "upstream": "payments",
                "profile": "otel-http",
            },
            np.array([ONSET, NOW]),
            np.array([0.05, 0.05]),
        )
    ]
    top = {
        "metric": "upstream_latency_seconds",
        "key": 'upstream_latency_seconds{profile="otel-http",service="checkout",upstream="payments"}',
    }
    assert len(_read(metrics, top, "payments", ONSET, NOW, 5.0)) == 1  # type: ignore[arg-type]


LAB_T0 = 1_796_463_600.0
"""The crash loop of a lab run whose verification ended "too soon after the fix to tell (60s)"."""
LAB_ONSET, LAB_FIXED = LAB_T0 + 63.973, LAB_T0 + 67.012


class Scrapes:
    """Raw samples every 2 s, answered as Prometheus answers a range query: at each step the latest sample,
    none once the series ended (its pod gone, a staleness marker one scrape after its last sample). The
    readings of that run: ``inventory-…-lqcgh`` crash-looped from its first scrape (1, 2, 3, 3) until the
    rollback replaced it, 8 s later; the pods before and after it never restarted."""

    def __init__(self, says_scrape: bool) -> None:
        def pod(name: str, first: float, values: list[float]) -> tuple[dict[str, str], np.ndarray, np.ndarray]:
            times = LAB_T0 + first + 2.0 * np.arange(len(values))
            return (
                {"__name__": "restarts_total", "service": "inventory", "pod": name, "profile": "kube-state-metrics"},
                times,
                np.array(values, dtype=float),
            )

        self.raw = [
            pod("inventory-fdlxw5z87c-g8jrf", -112.5, [0.0] * 86),
            pod("inventory-7hpnxbq5x8-lqcgh", 59.5, [1.0, 2.0, 3.0, 3.0]),
            pod("inventory-fdlxw5z87c-lc6fj", 67.5, [0.0] * 60),
        ]
        traffic = LAB_T0 - 112.5 + 2.0 * np.arange(150)
        self.raw.append(
            (
                {"__name__": "request_rate", "service": "inventory", "profile": "otel-http"},
                traffic,
                np.where((traffic > LAB_T0 + 59.0) & (traffic < LAB_FIXED + 4.0), 9.0, 20.0),
            )
        )
        if says_scrape:
            self.scrape_s = lambda: 2.0

    def query_range(self, query: str, start: float, end: float, step: float) -> list[Series]:
        name = query.split("{", 1)[0]
        out = []
        for labels, times, values in self.raw:
            if labels["__name__"] != name:
                continue
            grid = np.arange(start, end + 1e-9, step)
            at = np.searchsorted(times, grid, side="right") - 1
            live = (at >= 0) & (grid < times[-1] + 2.0)
            out.append(Series(dict(labels), grid[live], values[at[live]]))
        return out

    def query(self, query: str, at: float) -> list[Series]:
        return []

    def candidate_series(self, start: float, end: float, step: float) -> list[Series]:
        return []


def _lab_state() -> Any:
    """The investigation's record of that run: the restarts (z=3.0, under the anomaly threshold) ranked above
    the traffic drop, the crash-loop runbook, the rollback."""
    restarts = {
        "metric": "restarts_total",
        "kind": "restarts",
        "score": 3.0,
        "direction": "up",
        "onset": LAB_ONSET,
        "before": 1.5,
        "after": 3.0,
        "key": 'restarts_total{pod="inventory-7hpnxbq5x8-lqcgh",profile="kube-state-metrics",service="inventory"}',
    }
    traffic = {
        "metric": "request_rate",
        "kind": "traffic",
        "score": 2.74,
        "direction": "down",
        "onset": LAB_T0 + 59.973,
        "before": 20.08,
        "after": 9.07,
        "key": 'request_rate{profile="otel-http",service="inventory"}',
    }
    anomaly = {
        "service": "inventory",
        "score": 3.9,
        "raw_score": 3.9,
        "fault_score": 3.9,
        "onset": LAB_ONSET,
        "series": [restarts, traffic],
    }
    return {
        "incident": {"id": "inc-crash-loop", "started_at": LAB_T0 + 65.6},
        "hypotheses": [
            {"service": "inventory", "category": "crash_loop", "confidence": 0.87, "runbook_id": "rb-crash-loop"}
        ],
        "calls": [{"id": "c1", "tool": "rank_anomalies", "status": "ok", "data": [anomaly]}],
        "actions": [{"tool": "rollback_deploy", "status": "executed", "at": LAB_FIXED}],
    }


def test_a_crash_looping_pod_the_fix_replaced_within_seconds_is_read_at_every_scrape(settings: Settings) -> None:
    """At a 5 s step the crash-looping pod, alive 8 s, is one point (3): no growth, "0/min during the fault",
    and the verdict waited "too soon after the fix to tell" until its deadline. Read at the server's 2 s
    scrape interval, its samples 1, 2, 3 show the fault, and 20 s after the fix the recovery."""
    from bot.agent.nodes.closing import _counter_recovered

    state = _lab_state()
    top = state["calls"][0]["data"][0]["series"][0]
    seen, detail = _counter_recovered(Scrapes(says_scrape=False), LAB_FIXED + 60.0, state, "inventory", top)
    assert seen is None and "0/min during the fault; too soon" in detail, "the reading that failed the run"
    metrics = Scrapes(says_scrape=True)
    assert symptom_recovered(_context(settings, metrics, now=LAB_FIXED + 10.0), state)[0] is None
    recovered, detail = symptom_recovered(_context(settings, metrics, now=LAB_FIXED + 20.0), state)
    assert recovered is True and detail.startswith("restarts_total of inventory: 0/min before, 3.63/min during"), detail


def test_a_counter_that_did_not_show_the_fault_hands_the_verdict_to_the_next_symptom(settings: Settings) -> None:
    """Where every sample cannot be read (the source does not say how often it scrapes), the restarts show no
    fault — not "too soon", never anything — and the next symptom the diagnosis found, the traffic that fell
    while the pod crashed, judges instead."""
    recovered, detail = symptom_recovered(
        _context(settings, Scrapes(says_scrape=False), now=LAB_FIXED + 30.0), _lab_state()
    )
    assert recovered is True, detail
    assert detail.startswith("request_rate of inventory") and "restarts_total" in detail
    assert "did not show the fault" in detail


@pytest.mark.parametrize(("scrape_s", "step", "window"), [(2.0, 2.0, 30.0), (60.0, 5.0, 120.0), (None, 5.0, 30.0)])
def test_a_counter_is_read_at_every_scrape_over_windows_that_hold_two(
    scrape_s: float | None, step: float, window: float
) -> None:
    """A lab scraping every 2 s is read every 2 s; a server scraping every minute at the usual 5 s step, its
    windows two minutes long (two samples, the fewest a rate is read from); one that does not say, as before."""
    from bot.agent.nodes.closing import _counter_rates

    asked: list[tuple[float, float]] = []

    class Asked(Recorded):
        def query_range(self, query: str, start: float, end: float, step: float) -> list[Series]:
            asked.append((start, step))
            return super().query_range(query, start, end, step)

    metrics = Asked(restarts_total=_restarts(2.0, FIXED))
    if scrape_s is not None:
        metrics.scrape_s = lambda: scrape_s  # type: ignore[attr-defined]
    _counter_rates(
        metrics, NOW, _state("restarts_total", 0.0, 30.0), "inventory", {"metric": "restarts_total", "onset": ONSET}
    )
    assert asked == [(ONSET - 2 * window - step, step)]


def test_a_service_none_of_whose_own_series_moved_is_verified_on_its_callers_calls_to_it(settings: Settings) -> None:
    """A crash loop told by its logs and pods: its own latency never moved, its callers' calls to it did. The
    callee's own calls (to its database) share the metric's name and must not stand in for them."""
    from bot.agent.nodes.closing import _read

    state = _state("latency_p99_seconds", 0.049, 0.0499)
    state["calls"][0]["data"][0]["series"][0].update(kind="latency", score=2.2)
    calls = {
        "key": 'upstream_latency_seconds{profile="otel-http",service="checkout",upstream="inventory"}',
        "service": "checkout",
        "metric": "upstream_latency_seconds",
        "labels": {"upstream": "inventory"},
        "kind": "latency",
        "score": 40.0,
        "direction": "up",
        "onset": ONSET,
        "before": 0.049,
        "after": 0.25,
    }
    state["calls"][0]["data"].append(
        {"service": "checkout", "score": 5.0, "raw_score": 40.0, "fault_score": 40.0, "onset": ONSET, "series": [calls]}
    )
    chosen = symptom_series(_context(settings, Recorded()), state, "inventory")
    assert chosen is not None and chosen["service"] == "checkout" and chosen["metric"] == "upstream_latency_seconds"
    metrics = Cadvisor()
    metrics.series = [
        Series(
            {"__name__": "upstream_latency_seconds", "service": name, "upstream": upstream, "profile": "otel-http"},
            np.array([ONSET, NOW]),
            np.array([value, value]),
        )
        for name, upstream, value in (("checkout", "inventory", 0.05), ("inventory", "db", 0.002))
    ]
    read = _read(metrics, chosen, "inventory", ONSET, NOW, 5.0)  # type: ignore[arg-type]
    assert [s.labels["service"] for s in read] == ["checkout"]
