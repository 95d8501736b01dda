"""The HTML eval report shows its evidence: the accuracy per category as bars, and for each failed (or
close-call) scenario the chart of the expected root cause's strongest series next to what Andon chose —
inline PNGs, so the file stands alone. Headless Chromium renders it and the screenshot shows the charts."""

from __future__ import annotations

import base64
import copy
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.charts.render import COLORS
from bot.settings import load_settings
from evals.report import html_report, markdown_report
from evals.runner import EvalOptions, default_suite, run_suite
from tests.support.png import decode, near, pixel_spread

SCENARIO = "a-stripe-outage-checkout"
"""Stripe fails and payments only propagates it: the copy below expects payments instead, so Andon (rightly
naming stripe) fails it, and the report must show both services' series."""
PASSING = "a-render-cpu-hotloop"
_IMAGE = re.compile(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'")


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("report-charts")
    wrong = tmp / "expects-payments"
    shutil.copytree(default_suite() / SCENARIO, wrong)
    spec = yaml.safe_load((wrong / "scenario.yaml").read_text())
    spec["expected"] = {**spec["expected"], "service": "payments", "forbidden": [], "runbook": None}
    (wrong / "scenario.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return run_suite(
        [wrong, default_suite() / PASSING], EvalOptions(jobs=1, charts=True), base=load_settings(data_dir=tmp / "data")
    )


@pytest.fixture(scope="module")
def page(summary: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report-page") / "report.html"
    path.write_text(html_report(summary))
    return path


def test_only_failures_and_close_calls_keep_charts(summary: dict[str, Any]) -> None:
    failed = next(s for s in summary["per_scenario"] if s["id"] == "expects-payments")
    passed = next(s for s in summary["per_scenario"] if s["id"] == PASSING)
    assert not failed["passed"] and failed["service_predicted"] != "payments"
    assert [(c["about"] or c["service"], c["role"]) for c in failed["charts"]] == [
        ("payments", "expected root cause"),
        (failed["service_predicted"], "Andon's choice"),
    ]
    assert all(len(c["times"]) <= 300 for c in failed["charts"])
    assert passed["passed"] and (passed["charts"] != []) == passed["close_call"]


def test_the_report_embeds_the_charts_and_the_accuracy_bars(page: Path) -> None:
    text = page.read_text()
    assert not re.search(r"<(script|link)\b|src=['\"]https?:|url\(", text), "self-contained: nothing fetched"
    images = _IMAGE.findall(text)
    assert len(images) == 3, "the accuracy bars, then the failure's two charts"
    for data in images:
        pixels = decode(base64.b64decode(data))
        assert pixel_spread(pixels) > 10
    charts = text.split("data-scenario='expects-payments'", 1)[1].split("</div>", 1)[0]
    assert (
        charts.count("<img class='chart'") == 2 and "expected root cause" in charts and "Andon&#x27;s choice" in charts
    )
    assert text.index("alt='Accuracy per category") < text.index("<h2>Failures") < text.index("data-scenario=")


def test_close_calls_are_listed_with_their_charts(summary: dict[str, Any]) -> None:
    edited = copy.deepcopy(summary)
    failed = next(s for s in edited["per_scenario"] if s["id"] == "expects-payments")
    passed = next(s for s in edited["per_scenario"] if s["id"] == PASSING)
    passed.update(close_call=True, runner_up="memory leak on render (85%)", charts=failed["charts"])
    assert "## Close calls (1)" in markdown_report(edited)
    text = html_report(edited)
    assert f"<h3 class='close'>{PASSING} (close call)</h3>" in text
    assert f"data-scenario='{PASSING}'" in text and len(_IMAGE.findall(text)) == 5


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.integration
def test_headless_chromium_shows_the_charts(page: Path, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: scripts/setup.sh --test installs Debian's chromium")
        pytest.skip("chromium is not installed (Debian: apt-get install chromium; scripts/setup.sh --test does it)")
    shot = tmp_path / "report.png"
    profile = tmp_path / "profile"
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            "--window-size=1200,2400",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    pixels = decode(shot.read_bytes())
    assert pixels.shape[:2] == (2400, 1200) and pixel_spread(pixels) > 10, "not blank"
    assert near(pixels, COLORS["root cause"], 12) > 2000, "the accuracy bars and Andon's choice are drawn"
    assert near(pixels, COLORS["expected root cause"], 12) > 300, "the expected root cause's series is drawn"
    assert near(pixels, COLORS["onset"], 12) > 100, "the onset is marked"
