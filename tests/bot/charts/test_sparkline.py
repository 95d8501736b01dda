"""Sparklines: a series' shape in a dozen characters, lowest ▁ to highest █."""

from __future__ import annotations

import math

from bot.charts.sparkline import BARS, spark_key, sparkline


def test_a_step_up_starts_low_and_ends_high() -> None:
    line = sparkline([1.0] * 30 + [5.0] * 10, width=8)
    assert len(line) == 8 and set(line) <= set(BARS)
    assert line.startswith("▁▁▁▁▁") and line.endswith("█")


def test_a_ramp_uses_every_height_in_order() -> None:
    line = sparkline([float(i) for i in range(80)], width=8)
    assert line == BARS


def test_a_dip_shows_as_a_dip() -> None:
    line = sparkline([10.0] * 10 + [0.0] * 4 + [10.0] * 10, width=12)
    assert line[0] == line[-1] == "█" and "▁" in line[4:8]


def test_flat_short_empty_and_non_finite_series() -> None:
    assert sparkline([3.0] * 50, width=10) == "▁" * 10
    assert sparkline([1.0, 2.0, 3.0], width=16) == "▁▅█", "fewer values than cells: one cell each"
    assert sparkline([], width=16) == "" and sparkline([math.nan, math.inf], width=16) == ""
    assert sparkline([1.0, math.nan, 2.0], width=16) == "▁█"
    assert sparkline([1.0, 2.0], width=0) == ""


def test_evidence_is_keyed_by_its_call_and_text() -> None:
    item = {"call_id": "c1", "summary": "checkout anomalous: error_ratio ↑ 0.002876 → 0.3094 (z=61.6)", "weight": 2}
    assert spark_key(item) == spark_key({"call_id": "c1", "summary": item["summary"]})
    assert spark_key(item) != spark_key({"call_id": "c2", "summary": item["summary"]})
