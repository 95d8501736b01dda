"""Evidence charts of the bundled checkout bad-deploy example: which series are drawn (the root cause's and
the alerting service's strongest), what is on them (onset, the deploy, the baseline band, at most 300
points read again from the metrics source), and the PNG they make (decodes, the right size, not blank)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.charts.evidence import evidence_charts, evidence_sparklines, service_chart, window
from bot.charts.model import MAX_POINTS, Chart, downsample, format_value
from bot.charts.render import COLORS, HEIGHT_PX, WIDTH_PX, accuracy_png, render_png
from bot.charts.sparkline import spark_key
from bot.settings import load_settings
from tests.support.example_run import alert, investigator
from tests.support.png import decode, near, pixel_spread


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Any, float]:
    """The example's report, its metrics source and the time it was judged at."""
    tmp = tmp_path_factory.mktemp("charts")
    inv = investigator(load_settings(data_dir=tmp / "data"), tmp, approval_mode="propose_only")
    report = inv.start(alert()).report
    assert report is not None
    return report, inv.context.sources.metrics, inv.context.clock()


def test_the_root_cause_and_the_alerting_service_are_charted(example: tuple[dict[str, Any], Any, float]) -> None:
    report, metrics, now = example
    charts = evidence_charts(report, metrics, now)
    assert 1 <= len(charts) <= 3
    root, alerting = charts[0], charts[1]
    assert (root.service, root.metric, root.role) == ("checkout", "error_ratio", "root cause")
    assert (alerting.service, alerting.role) == ("gateway", "alerting service")
    start, end = window(report, now)
    for chart in charts:
        assert 2 <= len(chart.times) <= MAX_POINTS and len(chart.times) == len(chart.values)
        assert (chart.start, chart.end) == (start, end) and start <= chart.times[0] < chart.times[-1] <= end
        assert chart.onset is not None and start < chart.onset < end
        assert [m.label for m in chart.markers] == ["deploy checkout v2.14.0"], "the deploy, as a labelled line"
        median, spread = chart.baseline()  # type: ignore[misc]
        assert chart.before is not None and abs(median - chart.before) <= 3 * spread + 1e-9
    assert root.values[-1] > 10 * root.values[0], "the series itself, read again: the step up is in it"
    assert json.loads(json.dumps(root.to_dict())) == root.to_dict() and Chart.from_dict(root.to_dict()) == root


def test_the_graph_state_keeps_no_points(example: tuple[dict[str, Any], Any, float]) -> None:
    """Charts read their series again: the report (and so the checkpointed state) carries only each shifted
    series' key and levels, never its points."""
    report, _, _ = example
    ranked = next(c for c in report["evidence"] if c["tool"] == "rank_anomalies")
    for record in ranked["data"]:
        for series in record["series"]:
            assert not any(isinstance(v, list) and len(v) > 20 for v in series.values()), series["key"]


def test_no_charts_without_a_hypothesis_or_a_source(example: tuple[dict[str, Any], Any, float]) -> None:
    report, metrics, now = example
    assert evidence_charts(report, None, now) == []
    assert evidence_charts({**report, "hypotheses": []}, metrics, now) == []
    assert service_chart(report, "no-such-service", "expected root cause", metrics, now) is None

    class Broken:
        def query_range(self, *args: Any) -> Any:
            raise RuntimeError("backend down")

    assert evidence_charts(report, Broken(), now) == [], "an unreadable series is left out, never an error"


def test_a_service_chart_is_its_strongest_series(example: tuple[dict[str, Any], Any, float]) -> None:
    report, metrics, now = example
    chart = service_chart(report, "gateway", "expected root cause", metrics, now)
    assert chart is not None and (chart.service, chart.metric, chart.role) == (
        "gateway",
        "error_ratio",
        "expected root cause",
    )


def test_each_series_line_of_the_evidence_gets_a_sparkline(example: tuple[dict[str, Any], Any, float]) -> None:
    report, metrics, now = example
    marks = evidence_sparklines(report, metrics, now)
    best = report["hypotheses"][0]
    series_lines = [e for e in best["evidence"] if "error_ratio" in e["summary"] and "→" in e["summary"]]
    assert series_lines and all(spark_key(e) in marks for e in series_lines)
    line = marks[spark_key(series_lines[0])]
    assert len(line) == 16 and line[0] == "▁" and line[-1] == "█", line
    assert not any("deploy of" in key for key in marks), "a change is no series"


def test_the_png_decodes_at_its_size_and_is_not_blank(example: tuple[dict[str, Any], Any, float]) -> None:
    report, metrics, now = example
    root = evidence_charts(report, metrics, now)[0]
    png = render_png(root)
    pixels = decode(png)
    assert pixels.shape == (HEIGHT_PX, WIDTH_PX, 3) and len(png) < 100_000
    assert pixel_spread(pixels) > 10, "not blank"
    assert near(pixels, COLORS["root cause"], 30) > 500, "the series is drawn"
    assert near(pixels, COLORS["onset"], 30) > 100 and near(pixels, COLORS["change"], 30) > 50
    assert near(pixels, "#ffffff", 0) > pixels.shape[0] * pixels.shape[1] // 2, "a light chart"


def test_a_style_set_elsewhere_leaves_the_chart_as_it_is(example: tuple[dict[str, Any], Any, float]) -> None:
    """matplotlib's style is global, and a library in the same process may change it (rcaeval applies
    fivethirtyeight on import, as ``andon eval`` on an RCAEval dataset or ``andon bench`` do): the chart is
    drawn in the default style all the same."""
    import matplotlib.style

    report, metrics, now = example
    root = evidence_charts(report, metrics, now)[0]
    plain = render_png(root)
    with matplotlib.style.context("fivethirtyeight"):
        assert render_png(root) == plain


def test_accuracy_bars() -> None:
    pixels = decode(
        accuracy_png(
            {
                "bad_deploy": {"scenarios": 4, "top1": 4, "category": 3},
                "memory_leak": {"scenarios": 2, "top1": 1, "category": 2},
            }
        )
    )
    assert pixels.shape[1] == WIDTH_PX and pixel_spread(pixels) > 10 and near(pixels, COLORS["root cause"], 20) > 500


def test_downsampling_keeps_spikes_and_drops_non_finite_points() -> None:
    times = np.arange(10_000, dtype=float)
    values = np.zeros(10_000)
    values[4321], values[77] = 9.0, np.nan
    kept_t, kept_v = downsample(times, values)
    assert len(kept_t) <= MAX_POINTS and max(kept_v) == 9.0 and 4321.0 in kept_t
    assert all(math.isfinite(v) for v in kept_v) and kept_t == sorted(kept_t)
    assert downsample(np.array([2.0, 1.0]), np.array([5.0, 4.0])) == ([1.0, 2.0], [4.0, 5.0])


def test_baseline_band_and_units() -> None:
    chart = Chart(
        "api",
        "latency_p99_seconds",
        "root cause",
        times=[float(t) for t in range(20)],
        values=[0.2, 0.21, 0.19, 0.2, 0.22, 0.18, 0.2, 0.2, 0.21, 0.19] + [0.9] * 10,
        start=0,
        end=19,
        onset=10.0,
    )
    median, spread = chart.baseline()  # type: ignore[misc]
    assert median == pytest.approx(0.2) and 0.005 < spread < 0.03
    assert Chart("a", "m", "r", [0.0, 1.0], [1.0, 2.0], 0, 1, onset=1.0).baseline() is None, "too few points before"
    assert format_value("error_ratio", 0.309) == "30.9%" and format_value("latency_p99_seconds", 0.25) == "250 ms"
    assert (
        format_value("memory_usage_bytes", 3 * 2**30) == "3 GiB" and format_value("queue_depth", 1234.5) == "1.23e+03"
    )
    assert Chart("pay/ments", "error ratio", "r", [], [], 0, 1).filename(2) == "2-pay-ments-error-ratio.png"


def test_chart_text_is_redacted(example: tuple[dict[str, Any], Any, float], tmp_path: Path) -> None:
    """Whatever a change's description carries is redacted before it is drawn (a PNG cannot be redacted later)."""
    report, metrics, now = example
    evidence = [dict(c) for c in report["evidence"]]
    changes = next(c for c in evidence if c["tool"] == "correlate_changes")
    changes["data"] = [{**changes["data"][0], "version": "token=ghp_abcdefghijklmnopqrstuvwxyz0123456789"}]
    [chart, *_] = evidence_charts({**report, "evidence": evidence}, metrics, now)
    assert chart.markers and "ghp_" not in chart.markers[0].label and "REDACTED" in chart.markers[0].label
