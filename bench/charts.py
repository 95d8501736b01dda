"""Evidence charts: what drawing them costs, and how soon they follow the RCA card.

- Render: in a fresh Python process that has already imported what ``andon serve`` holds (numpy, the
  chart model), the first chart (matplotlib imported, fonts loaded, drawn, PNG-encoded), then warm charts;
  the resident memory before and after (VmRSS).
- Card → charts: ``andon serve --mode http`` (a child process; in-process with --quick) with replayed
  telemetry answers an Alertmanager alert; the time from the RCA card's post to the charts'
  ``files.completeUploadExternal`` in the fake Slack, for the first alert the server sees (its first chart
  imports matplotlib) and a later one."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import httpx

from bench.fake_slack import Call
from bench.result import BenchOptions, Result
from bench.served import EXAMPLES, ROOT, alert_payload, serve
from bench.system import median, ms

__all__ = ["NAME", "run"]

NAME = "charts"
TARGET_FIRST_S = 1.0
TARGET_DELAY_S = 3.0
EXAMPLE = "checkout-bad-deploy"
WARM_RENDERS = 5

_RENDER = f"""
import json, os, time
import numpy as np
from bot.charts.model import Chart, Marker

def rss():
    for line in open(f"/proc/{{os.getpid()}}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

t = np.arange(1_800_000_000 - 3600, 1_800_000_000 + 180, 15.0)
values = np.where(t < 1_800_000_000 - 120, 0.003, 0.31) + np.random.default_rng(0).normal(0, 0.0004, len(t))
chart = Chart("checkout", "error_ratio", "root cause", list(t), list(values), float(t[0]), float(t[-1]),
              onset=1_800_000_000 - 120.0, before=0.003, after=0.31, score=61.6,
              markers=[Marker(1_800_000_000 - 300.0, "deploy checkout v2.14.0")])
before = rss()
started = time.perf_counter()
from bot.charts.render import render_png
png = render_png(chart)
first = time.perf_counter() - started
after_first = rss()
warm = []
for _ in range({WARM_RENDERS}):
    started = time.perf_counter()
    render_png(chart)
    warm.append(time.perf_counter() - started)
print(json.dumps({{"first_s": first, "warm_s": sorted(warm)[len(warm) // 2], "rss_before_mb": before,
                  "rss_after_first_mb": after_first, "rss_after_mb": rss(), "png_bytes": len(png)}}))
"""


def _render_once() -> dict[str, Any]:
    result = subprocess.run([sys.executable, "-c", _RENDER], cwd=ROOT, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"chart render failed: {result.stderr[-500:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _alert(server: Any, tag: str) -> float:
    """One new alert: seconds from its RCA card to its charts being shared."""
    before = len(server.slack.calls)
    response = httpx.post(
        f"{server.url}/alertmanager", json=alert_payload(EXAMPLES / f"{EXAMPLE}.json", tag), timeout=30.0
    )
    if response.status_code != 202:
        raise RuntimeError(f"webhook answered {response.status_code}: {response.text[:200]}")

    def found(method: str, block: str | None = None) -> Call | None:
        return next(
            (c for c in server.slack.calls[before:] if c.method == method and (block is None or c.has_block(block))),
            None,
        )

    card = server.slack.poll(lambda: found("chat.postMessage", "andon.rca.header"), timeout=120.0)
    charts = server.slack.poll(lambda: found("files.completeUploadExternal"), timeout=60.0)
    if card is None or charts is None:
        raise RuntimeError(f"no {'RCA card' if card is None else 'charts'} for the alert within the time allowed")
    return float(charts.at - card.at)


def run(options: BenchOptions) -> Result:
    runs = options.pick(3, 1)
    renders = [_render_once() for _ in range(runs)]
    first, warm = median([r["first_s"] for r in renders]), median([r["warm_s"] for r in renders])
    cost = median([r["rss_after_mb"] - r["rss_before_mb"] for r in renders])
    delays_first, delays_later = [], []
    kind = ""
    for index in range(runs):
        with serve(EXAMPLES / f"{EXAMPLE}.telemetry.yaml", options.workdir, in_process=options.quick) as server:
            kind = server.kind
            delays_first.append(_alert(server, f"first{index}"))
            delays_later.append(_alert(server, f"later{index}"))
            time.sleep(0.2)
    delay_first, delay_later = median(delays_first), median(delays_later)
    notes = [
        f"render: a fresh process per run (numpy and the chart model already imported, as in andon serve); "
        f"the first chart includes importing matplotlib; PNG {renders[0]['png_bytes'] // 1024} KB, 960×440"
    ]
    if options.quick:
        notes.append(
            "--quick: the server runs in the benchmark's process, where matplotlib may already be imported "
            "by an earlier benchmark: the first alert's delay is then a warm one"
        )
    return Result(
        name=NAME,
        title="Evidence charts",
        measured=f"one evidence chart drawn with matplotlib (Agg) in a fresh process: the first (import included) "
        f"and the median of {WARM_RENDERS} warm ones, resident memory added; and RCA card → charts shared "
        f"(files.completeUploadExternal) in the fake Slack for an Alertmanager alert, {kind}",
        target=f"first chart adds ≤ {TARGET_FIRST_S:.0f} s; charts ≤ {TARGET_DELAY_S:.0f} s after the card",
        runs=runs,
        headline=f"first chart {first:.2f} s · warm {warm * 1000:.0f} ms · +{cost:.0f} MB RSS · card → charts "
        f"{delay_first:.2f} s (server's first alert), {delay_later:.2f} s (later)",
        met=first <= TARGET_FIRST_S and max(delay_first, delay_later) <= TARGET_DELAY_S,
        metrics={
            "first_chart_ms": ms(first),
            "warm_chart_ms": ms(warm),
            "rss_added_mb": round(cost, 1),
            "rss_added_by_first_chart_mb": round(
                median([r["rss_after_first_mb"] - r["rss_before_mb"] for r in renders]), 1
            ),
            "card_to_charts_first_alert_ms": ms(delay_first),
            "card_to_charts_later_ms": ms(delay_later),
            "renders": renders,
            "server": kind,
        },
        notes=notes,
    )
