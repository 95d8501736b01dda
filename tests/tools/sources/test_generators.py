"""Generators: templated logs (every placeholder filled, reproducible, varied) and metric effects that repeat."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tools.sources.generators import generate_logs, generate_series

SPEC = {"service": "api", "template": "GET /users/{user} from {ip} req={id} in {ms}ms x{n}", "per_minute": 60}


def test_placeholders_are_filled_reproducibly_and_vary() -> None:
    first = generate_logs(SPEC, 0.0, 600.0, 600.0, "seed")
    again = generate_logs(SPEC, 0.0, 600.0, 600.0, "seed")
    assert len(first) == 600 and [line.text for line in first] == [line.text for line in again]
    assert all("{" not in line.text for line in first)
    assert all(
        re.fullmatch(r"GET /users/u\d+ from 10\.\d+\.\d+\.\d+ req=[0-9a-f]{8} in \d+ms x\d+", line.text)
        for line in first
    ), first[0].text
    assert len({line.text for line in first}) > 500, "each line draws fresh values"
    assert [line.ts for line in first] == sorted(line.ts for line in first)


def test_a_template_without_placeholders_repeats_verbatim() -> None:
    lines = generate_logs(
        {"service": "db", "template": "LOG checkpoint complete", "per_minute": 6}, 0.0, 600.0, 600.0, "s"
    )
    assert {line.text for line in lines} == {"LOG checkpoint complete"} and len(lines) == 60


def _times(start: float, end: float, step: float) -> np.ndarray:
    return np.arange(start, end + step / 2, step)


def test_a_repeating_spike_recurs_every_period_back_through_the_history() -> None:
    ref = 10 * 86400.0
    times = _times(ref - 8 * 86400, ref, 600.0)
    spec = {
        "service": "api",
        "metric": "latency_p99_seconds",
        "baseline": 0.2,
        "noise": 0,
        "effect": {"kind": "spike", "at": "-5m", "duration": "30m", "to": 1.4, "every": "1d"},
    }
    series = generate_series(spec, times, ref, "seed")
    high = series.times[series.values > 1.0]
    assert len(high) == 8 * 3 + 1, "three 10-minute samples of each past night's 30-minute spike, one of tonight's"
    assert {round(((t - (ref - 300)) % 86400) / 60) for t in high} == {5, 15, 25}, "only at the same time of day"
    assert series.values[(series.times > ref - 86400 + 3600) & (series.times < ref - 3600)].max() == 0.2


def test_every_needs_a_bounded_effect() -> None:
    times = _times(0.0, 86400.0, 600.0)
    spec = {
        "service": "api",
        "metric": "queue_depth",
        "baseline": 1.0,
        "effect": {"kind": "step", "at": "-1h", "to": 5.0, "every": "6h"},
    }
    with pytest.raises(ValueError, match="until"):
        generate_series(spec, times, 86400.0, "seed")
    spec["effect"] = {"kind": "ramp", "at": "-1h", "to": 5.0, "every": "6h"}
    with pytest.raises(ValueError, match="ramp"):
        generate_series(spec, times, 86400.0, "seed")
