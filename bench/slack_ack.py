"""1. Slack ack latency under load: bursts of N concurrent signed requests — ``app_mention`` events that
open incidents and ``/andon`` slash commands — against ``andon serve --mode http`` while the
investigations they start run in its worker process (on the worker pool of the same process under --quick,
whose in-process server keeps ``worker="thread"``). Latency is connect → last byte of the HTTP response.

Side by side in the same run: the floor (``GET /healthz``, no Slack work) and the same server idle
(``/andon help`` only), so a reader can see what the load generator, Bolt and the investigations each cost."""

from __future__ import annotations

import time
from typing import Any

from bench.load import Reply, Request, burst, raw_request
from bench.result import BenchOptions, Result
from bench.served import EXAMPLES, command_request, mention_request, serve
from bench.system import median, ms, percentile

__all__ = ["NAME", "run", "stats", "TARGET_P99_MS"]

NAME = "slack_ack"
TELEMETRY = EXAMPLES / "checkout-bad-deploy.telemetry.yaml"
TARGET_P99_MS = 100.0
COMMANDS = ["investigate checkout 5xx since 10:02", "status", "incidents", "help", "runbook checkout p99 latency"]
"""Slash commands in the mix: one starts an investigation, one searches the runbooks, three answer at once."""


def _mixed(url: str, response_url: str, burst_no: int, n: int) -> list[Request]:
    """Six in ten are mentions (each opens an incident and an investigation), four in ten slash commands."""
    out = []
    for i in range(n):
        if i % 10 < 6:
            ts = f"{1_700_000_000 + burst_no * 1000 + i}.000100"
            body, headers = mention_request(
                f"checkout p99 latency high since 10:02 (burst {burst_no}, #{i})",
                ts,
                event_id=f"Ev{burst_no:03d}{i:05d}",
            )
            out.append(raw_request(url, "/slack/events", body, headers, "mention"))
        else:
            body, headers = command_request(
                COMMANDS[(i + i // 10) % len(COMMANDS)], response_url, trigger_id=f"{burst_no}.{i}.bench"
            )
            out.append(raw_request(url, "/slack/events", body, headers, "command"))
    return out


def stats(replies: list[Reply], ok_status: tuple[int, ...] = (200,)) -> dict[str, Any]:
    """Latency percentiles of the answered requests; anything but ``ok_status`` counts as an error."""
    ok = [r.seconds for r in replies if r.status in ok_status]
    return {
        "requests": len(replies),
        "errors": len(replies) - len(ok),
        "p50_ms": ms(percentile(ok, 50)),
        "p95_ms": ms(percentile(ok, 95)),
        "p99_ms": ms(percentile(ok, 99)),
        "max_ms": ms(max(ok, default=0.0)),
    }


def _statuses(replies: list[Reply], into: dict[str, int]) -> None:
    for reply in replies:
        key = str(reply.status) if reply.status is not None else (reply.error or "failed").split(":")[0]
        into[key] = into.get(key, 0) + 1


def run(options: BenchOptions) -> Result:
    n = options.pick(100, 20)
    bursts = options.pick(5, 2)
    per_burst: list[dict[str, Any]] = []
    by_kind: dict[str, list[Reply]] = {"mention": [], "command": []}
    statuses: dict[str, int] = {}
    with serve(TELEMETRY, options.workdir, in_process=options.quick) as server:
        response_url = f"{server.slack.base}/response/bench"
        health = Request("healthz", b"GET /healthz HTTP/1.1\r\nHost: andon\r\nConnection: close\r\n\r\n")
        burst(server.url, [health] * 10)  # warm-up, not counted
        floor = stats(burst(server.url, [health] * n))
        idle = stats(
            burst(
                server.url,
                [
                    raw_request(
                        server.url,
                        "/slack/events",
                        *command_request("help", response_url, trigger_id=f"idle.{i}"),
                        kind="command",
                    )
                    for i in range(n)
                ],
            )
        )
        for burst_no in range(bursts):
            replies = burst(server.url, _mixed(server.url, response_url, burst_no, n))
            _statuses(replies, statuses)
            for reply in replies:
                by_kind[reply.kind].append(reply)
            per_burst.append(stats(replies))
            time.sleep(0.5)
        acknowledged = len(server.slack.posts_with("andon.progress"))
        finished = len(server.rca_cards())
        kind = server.kind
    summary = {k: median([b[k] for b in per_burst]) for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")}
    errors = sum(b["errors"] for b in per_burst)
    p99 = summary["p99_ms"]
    return Result(
        name=NAME,
        title="Slack ack latency under load",
        measured=f"{bursts} bursts of {n} concurrent signed requests (6/10 app_mention events opening incidents, "
        f"4/10 /andon commands) against {kind} with a fake Slack Web API and replayed checkout telemetry, "
        "while the investigations they start run; connect → response, new connection per request",
        target=f"p99 ≤ {TARGET_P99_MS:.0f} ms at 100 concurrent, no errors",
        runs=bursts,
        headline=f"p50 {summary['p50_ms']:.0f} · p95 {summary['p95_ms']:.0f} · p99 {p99:.0f} ms at {n} concurrent, "
        f"{errors} errors (idle: p99 {idle['p99_ms']:.0f} ms; /healthz floor p99 {floor['p99_ms']:.0f} ms)",
        met=p99 <= TARGET_P99_MS and errors == 0,
        metrics={
            "concurrency": n,
            "bursts": bursts,
            "under_load_median_of_bursts": summary,
            "errors": errors,
            "per_burst": per_burst,
            "by_kind": {k: stats(v) for k, v in by_kind.items()},
            "idle_help_only": idle,
            "healthz_floor": floor,
            "statuses": statuses,
            "server": kind,
            "incidents_acknowledged": acknowledged,
            "rca_cards_posted_during_bursts": finished,
        },
        notes=[
            f"investigations ran meanwhile: {acknowledged} incidents acknowledged in their threads, {finished} RCA "
            "cards posted before the last burst ended (4 investigation threads, "
            + ("in the serving process)" if options.quick else "in serve's worker process)"),
            "a 404 is Bolt's answer when a listener did not call ack() within 3 s (Slack shows the user a timeout)",
        ]
        + (
            ["--quick: 20 concurrent and an in-process server, so 'met' only checks the 100 ms line"]
            if options.quick
            else []
        ),
    )
