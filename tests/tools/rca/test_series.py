"""One series' shift at the onset: slow burns, flapping, client-side metrics, floors, recovery, short series."""

from __future__ import annotations

import numpy as np

from tests.support.telemetry import T0, TIMES, series
from tools.rca.params import Params
from tools.rca.series import score_series, screen
from tools.sources.base import Series

ANOMALY_THRESHOLD = Params().anomaly_threshold
SERIES_SHOWN = Params().series_shown


def test_slow_burn_ramp_is_detected() -> None:
    values = 5e8 + np.linspace(0, 4e8, len(TIMES)) + np.random.default_rng(1).normal(0, 5e6, TIMES.shape)
    scored = score_series(Series({"__name__": "memory_usage_bytes", "service": "api"}, TIMES, values), T0)
    assert scored is not None and scored.score >= ANOMALY_THRESHOLD and scored.direction == "up"


def test_a_shift_the_history_already_showed_is_discounted() -> None:
    flapping = 0.01 + 0.05 * (np.sin(np.arange(len(TIMES)) / 3.0) > 0.9)
    scored = score_series(Series({"__name__": "error_ratio", "service": "x"}, TIMES, flapping), T0)
    steady = series("x", "error_ratio", 0.01, 0.0001, shift=0.05)
    fresh = score_series(steady, T0)
    assert scored is not None and fresh is not None
    assert scored.score < fresh.score / 2


def test_client_side_metrics_speak_for_dependencies() -> None:
    own = score_series(series("a", "latency_p99_seconds", 0.2, 0.02, shift=1.0), T0)
    client = score_series(series("a", "client_latency_p99_seconds", 0.2, 0.02, shift=1.0), T0)
    assert own is not None and client is not None and client.score < own.score


def test_a_slow_burn_from_zero_respects_the_metric_floor() -> None:
    creeping = np.where(TIMES >= T0 - 2700, 0.002, 0.0)
    scored = score_series(Series({"__name__": "error_ratio", "service": "job"}, TIMES, creeping), T0)
    assert scored is not None and scored.score < ANOMALY_THRESHOLD, "0 → 0.2% of errors is not a 200-sigma event"


def test_a_spike_coming_back_by_itself_is_marked_recovering_and_a_step_is_not() -> None:
    spike = 300 + np.random.default_rng(5).normal(0, 10, TIMES.shape)
    rising = (TIMES >= T0 - 300) & (TIMES < T0 - 240)
    spike[rising] += 3900
    draining = TIMES >= T0 - 240
    spike[draining] += np.clip(3900 * (1 - (TIMES[draining] - (T0 - 240)) / 360), 0, None)
    scored = score_series(Series({"__name__": "queue_depth", "service": "mm"}, TIMES, spike), T0 - 300)
    step = score_series(series("mm", "queue_depth", 300, 10, shift=3900, at=-300), T0 - 300)
    assert scored is not None and scored.recovering
    assert step is not None and not step.recovering


def test_a_level_reached_through_a_ramp_is_read_where_it_settled() -> None:
    """A rate over a 10 s window, sampled every 2 s, climbs to its new level over several samples, and an
    investigation that starts soon after the alert sees little more than the climb. The record's 'after'
    is the level reached (what a runbook's "above 0.9" asks about), not the middle of the climb."""
    times = np.arange(T0 - 1200, T0 + 30, 2.0)
    values = np.full(times.shape, 0.065)
    start = len(times) - 9
    values[start : start + 6] = np.linspace(0.065, 1.0, 8)[1:-1]
    values[start + 6 :] = 1.0
    scored = score_series(Series({"__name__": "cpu_usage_ratio", "service": "api"}, times, values), times[start])
    assert scored is not None and scored.direction == "up"
    assert scored.after >= 0.95


def test_a_count_that_moved_only_in_the_latest_sample_is_a_rise_not_a_recovered_blip() -> None:
    """An investigation that starts seconds after a crash sees the restart count move in its last sample
    only; the rise has just begun, so it is neither discounted as a blip nor marked recovering."""
    values = np.zeros(TIMES.shape)
    values[-1] = 2.0
    scored = score_series(Series({"__name__": "restarts_total", "service": "api"}, TIMES, values), T0)
    assert scored is not None and scored.direction == "up"
    assert scored.score >= ANOMALY_THRESHOLD
    assert not scored.recovering
    blip = np.zeros(TIMES.shape)
    blip[-4] = 2.0
    came_back = score_series(Series({"__name__": "restarts_total", "service": "api"}, TIMES, blip), T0 - 90)
    assert came_back is None or came_back.score < scored.score, "a rise that came back still counts less"


def test_the_screen_reads_quiet_series_cheaply_and_leaves_a_shift_to_the_full_reading() -> None:
    """Thousands of quiet series rank in about a second because the screen reads them in one array; what
    it passes as quiet must read about the same without it, and a real shift is never passed as quiet."""
    from tools.rca.series import screen

    quiet = [series(f"s{i}", "latency_p99_seconds", 0.2, 0.005, seed=i) for i in range(30)]
    shifted = series("hot", "error_ratio", 0.01, 0.002, shift=0.3)
    read = screen([*quiet, shifted], T0 - 120, Params())
    assert len(quiet) - 3 <= len(read) <= len(quiet) and len(quiet) not in read, "the shifted series is read fully"
    for index, shift in read.items():
        full = score_series(quiet[index], T0 - 120)
        assert full is not None and shift.score < ANOMALY_THRESHOLD and full.score < ANOMALY_THRESHOLD
        assert shift.key == full.key and shift.direction == full.direction


def test_a_success_share_moves_by_its_distance_from_the_ceiling() -> None:
    """Availability 100% → 96.5% is failures from 0 to 3.5%: large, though a 3.5% dip of the level. The
    same dip of a series with no ceiling (requests) is small."""
    from tools.rca.series import score_series

    values = np.full(TIMES.shape, 100.0)
    values[T0 - 300 <= TIMES] = 96.5
    availability = score_series(
        Series({"__name__": "availability_percent", "service": "api"}, TIMES.copy(), values), T0 - 300
    )
    requests = score_series(
        Series({"__name__": "requests_per_second", "service": "api"}, TIMES.copy(), values), T0 - 300
    )
    assert availability is not None and requests is not None
    assert availability.score >= 5.0 > requests.score


def test_the_screen_and_the_full_reading_agree_on_a_success_share() -> None:
    from tools.rca.series import screen

    values = np.full(TIMES.shape, 100.0)
    values[T0 - 300 <= TIMES] = 99.9  # a tenth of a percent: under half a percent of the ceiling, quiet
    quiet = screen(
        [Series({"__name__": "availability_percent", "service": "api"}, TIMES.copy(), values)], T0 - 300, Params()
    )
    assert 0 in quiet and quiet[0].score < Params().anomaly_threshold


def test_a_job_that_started_long_before_the_alert_is_read_from_where_it_started() -> None:
    """CPU went from idle to busy 50 min before the alert, flat since: the change point lies before the
    search's usual lookback and the window looks ordered in time, yet it is a step, not a slope."""
    started = series("month-end-close", "cpu_usage_ratio", 0.0, 0.005, shift=0.22, at=-50 * 60)
    scored = score_series(started, T0 - 180)
    assert scored is not None and scored.score >= ANOMALY_THRESHOLD, scored
    assert abs(scored.before) < 0.02 and abs(scored.onset - (T0 - 50 * 60)) <= 60, (scored.before, scored.onset - T0)
    assert scored.trend_start is None, "one step is not a trend"


def test_a_short_spike_is_not_read_as_a_step_far_back() -> None:
    """No split explains a 90 s spike, so every split costs about the same: that is no reason to look for
    the change an hour back."""
    for seed in (1, 2, 5):
        base = series("payment-gateway", "upstream_latency_seconds", 0.31, 0.022, seed=seed)
        values = base.values.copy()
        values[(TIMES >= T0 - 480) & (TIMES < T0 - 390)] = 2.3
        scored = score_series(Series(base.labels, TIMES, values), T0 + 120)
        assert scored is not None and scored.onset >= T0 - Params().lookback_s, (seed, (scored.onset - T0) / 60)


def test_the_screens_calm_before_is_the_first_quarter_of_the_time_not_of_the_points() -> None:
    """Twenty hours at 10-minute steps, then three at 1-minute steps: the first quarter of the points reaches
    past a step 14 h back (a coarse past is few points for many hours), the first quarter of the time does
    not, so the step is no calm."""
    now = 1_800_000_000.0
    times = np.concatenate([np.arange(now - 23 * 3600, now - 3 * 3600, 600.0), np.arange(now - 3 * 3600, now, 60.0)])
    rng = np.random.default_rng(3)
    errors = np.where(times >= now - 14 * 3600, 0.9, 0.01) + rng.normal(0, 0.002, len(times))
    data = [Series({"__name__": "error_ratio", "service": "exports"}, times, errors)]
    assert 0 not in screen(data, now - 600, Params(lookback_s=24 * 3600.0))
