"""An hour of telemetry in standard names only, backfilled into a real Prometheus with ``promtool``.

Six services of a shop: OpenTelemetry semantic-convention HTTP server and client histograms (labelled
``service_name``, as the Collector's Prometheus exporter writes them), cAdvisor container CPU and memory
per pod, kube-state-metrics restarts, and the servicegraph connector's call counts. No Andon names, no
recording rules. ``SLOW`` turns slow ``FAULT_AGO_S`` before the end; its callers wait on it.
"""

from __future__ import annotations

import math
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from tests.support.servers import require_binary, start_prometheus

__all__ = [
    "CALLS",
    "SERVICES",
    "SLOW",
    "NEVER_FAILED",
    "POOLED",
    "CONSUMER",
    "LIMITED",
    "FAULT_AGO_S",
    "standard_prometheus",
    "openmetrics",
]

CALLS = {
    "frontend": ["checkout", "cart", "catalog"],
    "checkout": ["payments", "shipping"],
    "cart": [],
    "catalog": [],
    "payments": [],
    "shipping": [],
}
SERVICES = sorted(CALLS)
SLOW = "payments"
NEVER_FAILED = "cart"
"""A service that never answered a 5xx: it has no series for them at all."""
POOLED = "checkout"
"""The service with a database client pool (its in-use share rises at the fault)."""
CONSUMER = "worker"
"""A healthy message consumer: it serves no HTTP, only the messaging process-duration histogram."""
LIMITED = "checkout"
"""The one container with a CPU limit (0.5 core, as cAdvisor's quota / period): it uses 0.2 core, 0.4 of it."""
FAULT_AGO_S = 480.0
HISTORY_S = 3600.0
STEP_S = 15.0
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, math.inf)
PODS = {s: f"{s}-7d9f8b6c5-x2x4q" for s in SERVICES}
"""One pod each, named as a Deployment names them (<deployment>-<pod-template-hash>-<id>)."""


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)


def _latencies(rng: np.random.Generator, service: str, n: int, faulty: bool) -> np.ndarray:
    """Seconds per request: a lognormal around 40 ms; the slow service's ~1.2 s, its callers' own plus its."""
    own = rng.lognormal(math.log(0.04), 0.3, n)
    waited = faulty and (service == SLOW or SLOW in CALLS[service] or any(SLOW in CALLS[d] for d in CALLS[service]))
    return own + (rng.lognormal(math.log(1.2), 0.2, n) if waited else 0.0)


def openmetrics(end: float, seed: int = 5) -> str:
    """The hour before ``end`` as OpenMetrics text (``promtool tsdb create-blocks-from openmetrics`` input)."""
    rng = np.random.default_rng(seed)
    times = np.arange(end - HISTORY_S, end, STEP_S)
    fault_at = end - FAULT_AGO_S
    families: dict[str, list[str]] = {}  # by sample name: OpenMetrics wants each name's lines together

    def add(name: str, labels: dict[str, str], values: np.ndarray) -> None:
        text = ",".join(f'{k}="{v}"' for k, v in labels.items())
        families.setdefault(name, []).extend(
            f"{name}{{{text}}} {v:.6g} {t:.3f}" for t, v in zip(times, values, strict=True)
        )

    for service in SERVICES:
        per_step = rng.poisson(20 * STEP_S, len(times))
        counts = np.zeros((len(times), len(BUCKETS)))
        total = np.zeros(len(times))
        for i, (t, n) in enumerate(zip(times, per_step, strict=True)):
            seconds = _latencies(rng, service, int(n), t >= fault_at)
            counts[i] = [np.sum(seconds <= b) for b in BUCKETS]
            total[i] = seconds.sum()
        base = {"service_name": service, "http_request_method": "GET"}
        for j, bound in enumerate(BUCKETS):
            add("http_server_request_duration_seconds_bucket", {**base, "le": _le(bound)}, np.cumsum(counts[:, j]))
        ok = np.cumsum(per_step * 0.998)
        add("http_server_request_duration_seconds_count", {**base, "http_response_status_code": "200"}, ok)
        if service != NEVER_FAILED:  # a 5xx counter exists only once something failed
            add(
                "http_server_request_duration_seconds_count",
                {**base, "http_response_status_code": "500"},
                np.cumsum(per_step * 0.002),
            )
        add("http_server_request_duration_seconds_sum", base, np.cumsum(total))
        for callee in CALLS[service]:
            client = np.zeros((len(times), len(BUCKETS)))
            for i, (t, n) in enumerate(zip(times, per_step, strict=True)):
                seconds = _latencies(rng, callee, int(n), t >= fault_at)
                client[i] = [np.sum(seconds <= b) for b in BUCKETS]
            for j, bound in enumerate(BUCKETS):
                add(
                    "http_client_request_duration_seconds_bucket",
                    {"service_name": service, "server_address": callee, "le": _le(bound)},
                    np.cumsum(client[:, j]),
                )
            add("traces_service_graph_request_total", {"client": service, "server": callee}, np.cumsum(per_step))
        if service == POOLED:  # its database client pool, as the OpenTelemetry semantic conventions name it
            pool = {"service_name": service, "db_client_connection_pool_name": "orders"}
            used = np.clip(rng.normal(4, 0.5, len(times)), 0, None) + np.where(times >= fault_at, 5.0, 0.0)
            add("db_client_connection_count", {**pool, "db_client_connection_state": "used"}, used)
            add("db_client_connection_count", {**pool, "db_client_connection_state": "idle"}, 10.0 - used)
            add("db_client_connection_max", pool, np.full(len(times), 10.0))
        pod = {"namespace": "shop", "pod": PODS[service], "container": service}
        cpu = np.clip(rng.normal(0.2, 0.01, len(times)), 0, None) * STEP_S
        add("container_cpu_usage_seconds_total", pod, np.cumsum(cpu))
        if service == LIMITED:
            add("container_spec_cpu_quota", pod, np.full(len(times), 50_000.0))
            add("container_spec_cpu_period", pod, np.full(len(times), 100_000.0))
        add("container_memory_working_set_bytes", pod, rng.normal(300e6, 3e6, len(times)))
        add("kube_pod_container_status_restarts_total", pod, np.zeros(len(times)))
    processed = np.zeros((len(times), len(BUCKETS)))
    for i, n in enumerate(rng.poisson(5 * STEP_S, len(times))):
        seconds = rng.lognormal(math.log(0.08), 0.3, int(n))
        processed[i] = [np.sum(seconds <= b) for b in BUCKETS]
    for j, bound in enumerate(BUCKETS):
        add(
            "messaging_process_duration_seconds_bucket",
            {"service_name": CONSUMER, "messaging_destination_name": "orders", "le": _le(bound)},
            np.cumsum(processed[:, j]),
        )
    lines = [line for family in families.values() for line in family]
    return "\n".join(lines) + "\n# EOF\n"


@contextmanager
def standard_prometheus(tmp_path: Path) -> Iterator[tuple[str, float]]:
    """A real Prometheus holding the hour before now (yields its URL and the end of the data)."""
    promtool = require_binary("promtool", "/usr/bin/promtool")
    end = time.time() - 1
    source = tmp_path / "history.om"
    source.write_text(openmetrics(end))
    data = tmp_path / "prometheus" / "data"
    data.mkdir(parents=True)
    made = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr[-2000:]
    with start_prometheus(tmp_path, ["127.0.0.1:9"], scrape_interval="15s") as url:
        yield url, end
