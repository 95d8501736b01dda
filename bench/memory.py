"""6. Memory: resident set of ``andon serve --mode http`` (a child process) idle after start-up, and while
10 investigations opened at once by Alertmanager webhooks run (4 at a time on its worker pool)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bench.load import burst, raw_request
from bench.result import BenchOptions, Result
from bench.served import EXAMPLES, ServedAndon, alert_payload, warm_knowledge
from bench.system import median, peak_rss_mb

__all__ = ["NAME", "run"]

NAME = "memory"
TARGET_IDLE_MB = 400.0
INVESTIGATIONS = 10
EXAMPLE = "checkout-bad-deploy"


def _sample(served: ServedAndon, seconds: float, every: float = 0.2) -> list[float]:
    values = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = served.rss_mb()
        if value is not None:
            values.append(value)
        time.sleep(every)
    return values


def _once(data_from: Path | None, tag: str, idle_s: float = 1.5) -> dict[str, Any]:
    with ServedAndon(EXAMPLES / f"{EXAMPLE}.telemetry.yaml", data_from=data_from) as served:
        idle = median(_sample(served, idle_s))
        requests = [
            raw_request(
                served.url,
                "/alertmanager",
                json.dumps(alert_payload(EXAMPLES / f"{EXAMPLE}.json", f"{tag}-{i}")),
                {"Content-Type": "application/json"},
                "alert",
            )
            for i in range(INVESTIGATIONS)
        ]
        started = time.perf_counter()
        replies = burst(served.url, requests)
        during: list[float] = []
        deadline = time.monotonic() + 240
        while len(served.rca_cards()) < INVESTIGATIONS and time.monotonic() < deadline:
            during += _sample(served, 0.25, every=0.05)
        finished = len(served.rca_cards())
        return {
            "start_s": round(served.started_in_s, 1),
            "idle_mb": idle,
            "during_median_mb": median(during),
            "during_max_mb": max(during, default=float("nan")),
            "peak_hwm_mb": peak_rss_mb(served.pid),
            "after_mb": served.rss_mb(),
            "investigations_s": round(time.perf_counter() - started, 1),
            "accepted": sum(1 for r in replies if r.status == 202),
            "rca_cards": finished,
        }


def run(options: BenchOptions) -> Result:
    runs = options.pick(3, 1)
    warm = warm_knowledge(options.workdir)
    cold = None if options.quick else _once(None, "cold")
    samples = [_once(warm, f"run{i}", idle_s=options.pick(1.5, 0.8)) for i in range(runs)]
    idle = median([s["idle_mb"] for s in samples])
    peak = median([s["peak_hwm_mb"] for s in samples])
    return Result(
        name=NAME,
        title="Memory",
        measured=f"RSS of andon serve --mode http (child process, replayed telemetry, data dir with the knowledge base "
        f"already ingested) idle after start-up, and while {INVESTIGATIONS} Alertmanager alerts sent at once are "
        "investigated (VmHWM = peak)",
        target=f"≤ {TARGET_IDLE_MB:.0f} MB idle",
        runs=runs,
        headline=f"idle {idle:.0f} MB · peak {peak:.0f} MB during {INVESTIGATIONS} investigations"
        + (
            f" · start-up {median([s['start_s'] for s in samples]):.1f} s warm, {cold['start_s']:.1f} s cold"
            if cold
            else ""
        ),
        met=idle <= TARGET_IDLE_MB,
        metrics={
            "idle_mb": idle,
            "peak_mb": peak,
            "during_median_mb": median([s["during_median_mb"] for s in samples]),
            "runs": samples,
            "cold_start": cold,
        },
        notes=[
            "idle is before the first request: the graph, the tools and the embedding model load on first use, "
            "so the first investigation adds its share (see peak and after_mb)"
        ]
        + (
            ["cold start = empty data dir: the bundled knowledge is ingested into Chroma before serving"]
            if cold
            else []
        ),
    )
