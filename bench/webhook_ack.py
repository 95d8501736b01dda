"""1b. Alert webhook latency under load: 200 concurrent ``POST /alertmanager`` against ``andon serve --mode
http`` — first one alert group sent 200 times at once (one incident, the rest attach to it), then 200
alerts over 20 groups (20 incidents whose investigations start meanwhile). Latency is connect → last
byte of the answer (202 opened, 200 attached), each request on a new connection."""

from __future__ import annotations

import json
import time

from bench.load import Reply, Request, burst, raw_request
from bench.result import BenchOptions, Result
from bench.served import EXAMPLES, alert_payload, serve
from bench.slack_ack import TARGET_P99_MS, stats

__all__ = ["NAME", "run"]

NAME = "webhook_ack"
EXAMPLE = "checkout-bad-deploy"
GROUPS = 20
"""Distinct alert groups in the second burst: each opens an incident and starts an investigation."""
ACCEPTED = (200, 202)
"""202: an incident opened; 200: attached to the group's open incident."""
REFILL_S = 4.5
"""Pause between bursts: the per-client webhook rate limit (50/s, bursts of 200) refills in 4 s."""


def _alerts(url: str, n: int, groups: int, tag: str) -> list[Request]:
    bodies = [json.dumps(alert_payload(EXAMPLES / f"{EXAMPLE}.json", f"{tag}-{g}")) for g in range(groups)]
    return [
        raw_request(url, "/alertmanager", bodies[i % groups], {"Content-Type": "application/json"}, "alert")
        for i in range(n)
    ]


def run(options: BenchOptions) -> Result:
    n = options.pick(200, 40)
    with serve(EXAMPLES / f"{EXAMPLE}.telemetry.yaml", options.workdir, in_process=options.quick) as server:
        burst(server.url, _alerts(server.url, 5, 5, "warm"))  # warm-up, not counted
        time.sleep(REFILL_S)
        same: list[Reply] = burst(server.url, _alerts(server.url, n, 1, "same"))
        time.sleep(REFILL_S)
        spread: list[Reply] = burst(server.url, _alerts(server.url, n, GROUPS, "spread"))
        kind = server.kind
    one, many = stats(same, ACCEPTED), stats(spread, ACCEPTED)
    p99 = max(one["p99_ms"], many["p99_ms"])
    errors = one["errors"] + many["errors"]
    return Result(
        name=NAME,
        title="Alert webhook latency under load",
        measured=f"{n} concurrent Alertmanager webhooks against {kind}: one group {n} times, then {GROUPS} groups "
        "(investigations starting meanwhile); connect → 202, new connection per request",
        target=f"p99 ≤ {TARGET_P99_MS:.0f} ms at {n} concurrent, no errors (shown for reference against the Slack "
        "ack's line)",
        runs=2,
        headline=f"one group: p50 {one['p50_ms']:.0f} · p99 {one['p99_ms']:.0f} ms; {GROUPS} groups: p50 "
        f"{many['p50_ms']:.0f} · p99 {many['p99_ms']:.0f} ms at {n} concurrent, {errors} errors",
        met=p99 <= TARGET_P99_MS and errors == 0,
        metrics={"concurrency": n, "one_group": one, "groups": GROUPS, "spread": many, "server": kind},
        notes=["an error is any answer but 202 (opened) or 200 (attached); a 429 would mean the rate limit refused it"]
        + (["--quick: 40 concurrent and an in-process server"] if options.quick else []),
    )
