"""2. Time to first answer: an Alertmanager webhook → the acknowledgement in the incident's thread, and →
the RCA card, as the fake Slack Web API receives them (one clock: this process's ``perf_counter``).
Rules reasoner; each example alert replays its own lab-like telemetry (gateway → checkout → payments…)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from bench.fake_slack import Call
from bench.result import BenchOptions, Result
from bench.served import EXAMPLES, alert_payload, serve
from bench.system import median, ms

__all__ = ["NAME", "run"]

NAME = "first_answer"
TARGET_ACK_S = 1.0
TARGET_RCA_S = 3.0


def _examples(quick: bool) -> list[str]:
    names = sorted(
        p.name.removesuffix(".telemetry.yaml")
        for p in EXAMPLES.glob("*.telemetry.yaml")
        if (EXAMPLES / (p.name.removesuffix(".telemetry.yaml") + ".json")).exists()
    )
    return names[:1] if quick else names


def _one(server: Any, example: str, tag: str) -> dict[str, float]:
    """Post one new alert group and wait for its root post, threaded ack and RCA card."""
    before = len(server.slack.calls)
    started = time.perf_counter()
    response = httpx.post(
        f"{server.url}/alertmanager", json=alert_payload(EXAMPLES / f"{example}.json", tag), timeout=30.0
    )
    responded = time.perf_counter()
    if response.status_code != 202:
        raise RuntimeError(f"webhook answered {response.status_code}: {response.text[:200]}")

    def new_posts() -> list[Call]:
        return [c for c in server.slack.calls[before:] if c.method == "chat.postMessage"]

    def rca() -> Call | None:
        return next((p for p in new_posts() if p.has_block("andon.rca.header")), None)

    card = server.slack.poll(rca, timeout=120.0)
    if card is None:
        raise RuntimeError(f"no RCA card for {example} within 120 s")
    root = next(p for p in new_posts() if not p.args.get("thread_ts"))
    ack = next(p for p in new_posts() if p.args.get("thread_ts") == root.ts)
    return {
        "webhook_response_s": responded - started,
        "root_s": root.at - started,
        "ack_s": ack.at - started,
        "rca_s": card.at - started,
    }


def run(options: BenchOptions) -> Result:
    runs = options.pick(3, 2)
    per_example: dict[str, Any] = {}
    acks: list[float] = []
    rcas: list[float] = []
    kind = ""
    for example in _examples(options.quick):
        with serve(EXAMPLES / f"{example}.telemetry.yaml", options.workdir, in_process=options.quick) as server:
            kind = server.kind
            _one(server, example, "warm-up")  # the first investigation loads the graph and the embedding model
            samples = [_one(server, example, f"run{i}") for i in range(runs)]
        per_example[example] = {
            key.removesuffix("_s") + "_ms": ms(median([s[key] for s in samples])) for key in samples[0]
        }
        acks += [s["ack_s"] for s in samples]
        rcas += [s["rca_s"] for s in samples]
    ack, rca = median(acks), median(rcas)
    return Result(
        name=NAME,
        title="Time to first answer",
        measured=f"Alertmanager webhook → threaded acknowledgement and → RCA card in the fake Slack, "
        f"{len(per_example)} "
        f"example alert(s) with replayed lab-like telemetry, rules reasoner, {kind}; each server warmed "
        "by one alert first",
        target=f"ack ≤ {TARGET_ACK_S:.0f} s, RCA ≤ {TARGET_RCA_S:.0f} s (median)",
        runs=len(acks),
        headline=f"ack {ack * 1000:.0f} ms · RCA {rca:.2f} s (median of {len(acks)}; slowest example RCA "
        f"{max(v['rca_ms'] for v in per_example.values()) / 1000:.2f} s)",
        met=ack <= TARGET_ACK_S and rca <= TARGET_RCA_S,
        metrics={
            "ack_ms_median": ms(ack),
            "rca_ms_median": ms(rca),
            "ack_ms_max": ms(max(acks)),
            "rca_ms_max": ms(max(rcas)),
            "per_example_median_ms": per_example,
            "server": kind,
        },
        notes=[
            "the first alert a fresh server investigates is slower (graph build, embedding model load) and is "
            "not counted; it is in no run's median"
        ],
    )
