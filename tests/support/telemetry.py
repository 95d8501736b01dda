"""Builders for engine tests: synthetic series around a fixed onset, and evidence as tool results carry it."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from tools.rca.evidence import Evidence, read_evidence
from tools.sources.base import Series

T0 = 1_800_000_000.0
TIMES = np.arange(T0 - 3600, T0 + 180, 30.0)


def series(
    service: str, metric: str, base: float, noise: float, shift: float = 0.0, at: float = -360, seed: int = 0
) -> Series:
    """A noisy series around ``base`` that steps by ``shift`` ``at`` seconds from T0."""
    rng = np.random.default_rng(seed + zlib.crc32(f"{service}:{metric}".encode()))
    values = base + rng.normal(0, noise, TIMES.shape)
    values[T0 + at <= TIMES] += shift
    return Series({"__name__": metric, "service": service}, TIMES.copy(), values)


def labelled(service: str, metric: str, upstream: str, base: float, shift: float = 0.0, seed: int = 0) -> Series:
    """A client-side series of ``service``'s calls to ``upstream``."""
    data = series(service, metric, base, base * 0.05, shift=shift, seed=seed)
    return Series({**data.labels, "upstream": upstream}, data.times, data.values)


def shift(
    service: str,
    metric: str,
    before: float,
    after: float,
    score: float,
    direction: str = "up",
    kind: str = "other",
    **extra: Any,
) -> dict[str, Any]:
    """One shifted series as rank_anomalies reports it."""
    return {
        "key": f'{metric}{{service="{service}"}}',
        "service": service,
        "metric": metric,
        "before": before,
        "after": after,
        "score": score,
        "direction": direction,
        "kind": kind,
        "onset": 0.0,
        "change_pct": 0.0,
        **extra,
    }


def evidence_of(shifts: list[dict[str, Any]], **results: list[dict[str, Any]]) -> Evidence:
    """Evidence from shifts (grouped into service records) and other tools' results by tool name:
    ``nodes``, ``pods``, ``events``, ``spikes``, ``changes``, ``trends``."""
    services: dict[str, list[dict[str, Any]]] = {}
    for item in shifts:
        services.setdefault(item["service"], []).append(item)
    calls = [
        {
            "id": "c1",
            "tool": "rank_anomalies",
            "status": "ok",
            "data": [
                {
                    "service": name,
                    "score": 1.0,
                    "raw_score": max(float(a["score"]) for a in items),
                    "fault_score": max((float(a["score"]) for a in items if a["kind"] != "traffic"), default=0.0),
                    "onset": 0.0,
                    "series": items,
                }
                for name, items in services.items()
            ],
        }
    ]
    tools = {
        "nodes": "k8s_nodes",
        "pods": "k8s_pods",
        "events": "k8s_events",
        "spikes": "log_template_spikes",
        "changes": "correlate_changes",
        "trends": "series_history",
    }
    for index, (name, data) in enumerate(results.items(), start=2):
        calls.append({"id": f"c{index}", "tool": tools[name], "status": "ok", "data": data})
    return read_evidence(calls)
