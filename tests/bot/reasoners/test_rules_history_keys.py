"""Which series' longer past the rules reasoner reads: besides the strongest shifts, the leading suspects'
accumulating resources — one series per resource (six pods leaking alike are one question), those that
barely moved in the window (a slow burn's last stretch), and a usage ratio sitting at its capacity."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bot.reasoners.rules import _history_keys
from tests.support.telemetry import evidence_of, shift
from tools.rca.params import Params


def _keys(series: list[dict[str, Any]]) -> list[str]:
    return _history_keys(evidence_of(series), SimpleNamespace(params=Params()))  # type: ignore[arg-type]


def _pod(item: dict[str, Any], pod: str) -> dict[str, Any]:
    return {**item, "labels": {"pod": pod}, "key": f'{item["metric"]}{{pod="{pod}",service="{item["service"]}"}}'}


def test_a_slow_leak_on_every_pod_is_read_once_beside_the_restarts() -> None:
    gc = shift("catalog", "gc_pause_seconds", 0.1, 0.4, 9.7, kind="latency")
    restarts = [_pod(shift("catalog", "restarts_total", 0, 1, 2.0, kind="restarts"), f"catalog-{i}") for i in range(2)]
    memory = [
        _pod(shift("catalog", "memory_usage_bytes", 3.7e9, 3.9e9, 1.7, kind="memory"), f"catalog-{i}") for i in range(4)
    ]
    keys = _keys([gc, *restarts, *memory])
    assert sum("memory_usage_bytes" in k for k in keys) == 1, keys
    assert sum("restarts_total" in k for k in keys) == 1, keys


def test_a_disk_at_capacity_is_read_though_it_sits_flat() -> None:
    lag = shift("analytics", "consumer_lag_seconds", 4.0, 470.0, 200.0, kind="queue")
    full = shift("analytics", "disk_usage_ratio", 0.99, 1.0, 0.2, kind="disk")
    roomy = shift("analytics", "disk_usage_ratio", 0.40, 0.41, 0.2, kind="disk")
    assert any("disk_usage_ratio" in k for k in _keys([lag, full]))
    assert not any("disk_usage_ratio" in k for k in _keys([lag, roomy])), "a calm disk with room is no burn"


def test_the_strongest_fault_shifts_are_read_before_louder_load_shifts() -> None:
    """A weekly batch: the job count and the renderer's traffic jump hardest, but whether the shape is
    last week's is asked of the fault signals (a recurring verdict needs the strongest of them read)."""
    load = [shift(f"svc{i}", "request_rate", 1.0, 20.0, 100.0 - i, kind="traffic") for i in range(8)]
    cpu = shift("billing", "cpu_usage_ratio", 0.3, 0.7, 12.5, kind="cpu")
    assert cpu["key"] in _keys([*load, cpu])


def test_a_limit_of_a_leading_suspect_is_read_though_it_sits_flat() -> None:
    """A limit moves only when someone changes it: a release that lowered it hours ago set up today's
    trouble, and only the limit's past shows when."""
    errors = shift("notify", "error_ratio", 0.002, 0.26, 50.0, kind="errors")
    limit = shift("notify", "process_max_fds", 1024.0, 1024.0, 0.0)
    usage = shift("notify", "process_open_fds", 1000.0, 1010.0, 0.0)
    keys = _keys([errors, limit, usage])
    assert any("process_max_fds" in k for k in keys) and not any("process_open_fds" in k for k in keys), keys
