"""The signal vocabulary, in one table: what a metric is (its canonical name and kind), which direction
is bad for it, and the smallest change that can matter.

A series is read by its name: first against the canonical names and their usual aliases
(OpenTelemetry, cAdvisor, kube-state-metrics, node_exporter spellings), then, when none fits, by the
words it contains (``error``, ``latency``, ``cpu``…), so names the table never heard of still work.
Runbook checks name canonical signals, and read every series whose name maps to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

__all__ = ["Signal", "classify", "faces_dependency", "ACCUMULATING", "FAULT_KINDS"]

_DEPENDENCY_FACING = re.compile(r"client|upstream|outbound|downstream|dependency|egress", re.IGNORECASE)

ACCUMULATING = frozenset({"memory", "disk", "queue", "restarts", "saturation", "capacity"})
"""Kinds of resources that fill up slowly."""
FAULT_KINDS = frozenset({"errors", "latency", "cpu", "memory", "queue", "saturation", "disk", "logs", "restarts",
                         "availability", "clock"})
"""Kinds whose bad-direction shift is a fault rather than a change of load or volume."""


@dataclass(frozen=True)
class Signal:
    name: str
    """The canonical vocabulary name, or "" when only the kind is known."""
    kind: str
    bad: str
    """``up`` when a rise is bad, ``down`` when a fall is, ``both`` when either may be."""
    weight: float
    floor: float = 1e-9
    """The smallest absolute change that can matter, by the unit the name states."""
    dependency: bool = False
    """Measures a service's calls to others rather than its own work."""


# canonical name, kind, bad, weight, aliases (a regex searched in the lower-case metric name)
_TABLE: list[tuple[str, str, str, float, str]] = [
    ("cert_expiry_seconds", "availability", "down", 1.0, r"cert.*(expir|not_after|valid)|ssl.*expir|expiry"),
    ("cache_hit_ratio", "availability", "down", 1.0, r"hit_?ratio|hit_rate|cache_hits?_ratio"),
    ("node_ready", "availability", "down", 1.0, r"node_ready|node_status_ready"),
    ("", "availability", "down", 1.0, r"success|availab|_up$|^up$|ready|healthy"),
    ("upstream_error_ratio", "errors", "up", 1.0, r"(upstream|client|outbound|dependency).*(error|fail|overflow)"),
    ("upstream_latency_seconds", "latency", "up", 1.0,
     r"(upstream|client|outbound|dependency).*(latency|duration|response_time)"),
    ("", "saturation", "up", 0.9, r"per_request|per_call|per_query|per_op"),  # work each request costs
    # rows a query plan reads: a missing index or a flipped plan multiplies them with the requests unchanged
    ("db_scan_rate", "saturation", "up", 0.9,
     r"seq_?scan|sequential_scan|full_(table_)?scan|select_scan|collscan|rows_(examined|scanned)|tup(le)?s?_read"),
    # jobs running (kube-state-metrics' kube_job_status_active, a scheduler's running tasks): work that started
    ("jobs_active", "traffic", "both", 0.5,
     r"(job|cronjob|run|batch|task|dag)s?_(status_)?(active|running|in_progress)|(active|running)_(runs|jobs|tasks)"),
    ("rate_limited_ratio", "errors", "up", 1.0, r"rate_?limit|throttled_requests|429|too_many_requests"),
    ("tls_handshake_errors", "errors", "up", 1.0, r"tls.*(error|fail)|handshake|ssl.*(error|fail)"),
    ("dns_errors", "errors", "up", 1.0, r"dns.*(error|fail|timeout)|servfail|nxdomain"),
    ("packet_loss_ratio", "errors", "up", 1.0, r"packet_loss|drop|loss|retransmi"),
    ("error_ratio", "errors", "up", 1.0,
     r"error|fail|5xx|exception|reject|overflow|denied|refused|unauthori[sz]ed|40[13]|oom|crash"),
    ("restarts_total", "restarts", "up", 1.0, r"restart"),
    ("clock_skew_seconds", "clock", "both", 1.0, r"clock|skew|timex_offset|ntp.*offset|time_offset"),
    ("gc_pause_seconds", "latency", "up", 1.0, r"gc_|garbage_collect|pause"),
    ("replication_lag_seconds", "latency", "up", 1.0, r"replica(tion)?_(lag|delay)|replay_lag|slave_lag"),
    ("consumer_lag_seconds", "latency", "up", 1.0, r"consumer_lag|message_age|lag"),
    ("lock_wait_seconds", "latency", "up", 1.0, r"lock_(wait|time)|locks?_waiting|deadlock"),
    ("db_pool_wait_seconds", "latency", "up", 1.0, r"pool.*(wait|pending_time|acquire)"),
    ("db_query_p99_seconds", "latency", "up", 1.0, r"(db|query|sql|statement).*(latency|duration|p\d\d|seconds)"),
    ("latency_p50_seconds", "latency", "up", 1.0, r"p50|median"),
    ("latency_p99_seconds", "latency", "up", 1.0,
     r"latency|duration|p99|p95|p90|response_time|request_time|wait|delay|slow|rtt"),
    ("cpu_throttled_ratio", "cpu", "up", 0.9, r"throttl"),
    ("cpu_usage_ratio", "cpu", "up", 0.9, r"cpu|load_?avg|loadavg|steal"),
    ("memory_usage_bytes", "memory", "up", 0.9, r"mem|heap|rss|resident|working_set"),
    ("queue_depth", "queue", "up", 0.9, r"queue|depth|backlog|pending|enqueued|unacked"),
    ("db_pool_in_use_ratio", "saturation", "up", 0.9, r"(db|database|sql|jdbc|hikari).*(pool|connections)"),
    ("thread_pool_active_ratio", "saturation", "up", 0.9, r"thread|worker_pool|executor|busy_workers"),
    ("", "saturation", "up", 0.9, r"pool|in_use|inuse|active|saturation|utili[sz]ation|connections|evict"),
    ("disk_usage_ratio", "disk", "up", 0.9, r"disk|volume|inode|filesystem|fs_|pvc"),
    ("log_lines_rate", "logs", "up", 0.8, r"log_(lines|volume|bytes|events)"),
    ("replicas", "capacity", "both", 0.5, r"replicas"),
    ("request_rate", "traffic", "both", 0.5,
     r"request|rps|qps|throughput|workload|traffic|rate$|per_second|calls|invocations"),
    ("", "io", "both", 0.6, r"network|bytes|syscall|packets|_io|io_"),
]


@cache
def _compiled() -> list[tuple[re.Pattern[str], Signal]]:
    return [(re.compile(pattern), Signal(name, kind, bad, weight)) for name, kind, bad, weight, pattern in _TABLE]

_UNKNOWN = Signal("", "other", "both", 0.6)

def faces_dependency(metric: str) -> bool:
    """True for metrics that measure a service's calls to others rather than its own work."""
    return bool(_DEPENDENCY_FACING.search(metric))


@cache
def classify(metric: str) -> Signal:
    """What ``metric`` is: its exact canonical entry, else the first alias that matches, else its kind from
    the words it contains (``error_ratio`` → errors/up, ``cache_hit_ratio`` → availability/down)."""
    name = metric.lower()
    dependency = faces_dependency(name)
    found = next((s for _, s in _compiled() if s.name == name), None) or \
        next((s for pattern, s in _compiled() if pattern.search(name)), _UNKNOWN)
    return Signal(found.name, found.kind, found.bad, found.weight, _floor(name), dependency)


def _floor(name: str) -> float:
    """The smallest change that can matter, by the unit the name states: half a percent of a ratio, 2 ms,
    one queued message, half a restart, a megabyte; nothing for a name that states no unit."""
    if name.endswith("ratio"):
        return 0.005
    if "seconds" in name or name.endswith("_s"):
        return 0.002
    if any(word in name for word in ("queue", "depth", "backlog", "messages")):
        return 1.0
    if "restart" in name:
        return 0.5
    if "bytes" in name:
        return 1e6
    return 1e-9
