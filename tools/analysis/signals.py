"""What kind of signal a metric is, guessed from its name, and which direction is bad for it."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SignalKind", "classify", "faces_dependency", "DEPENDENCY_WEIGHT"]

DEPENDENCY_WEIGHT = 0.3
"""Client-side metrics (latency of calls a service makes) speak mostly for the services it calls."""
_DEPENDENCY_FACING = re.compile(r"client|upstream|outbound|downstream|dependency|egress", re.IGNORECASE)


def faces_dependency(metric: str) -> bool:
    """True for metrics that measure a service's calls to others rather than its own work."""
    return bool(_DEPENDENCY_FACING.search(metric))


@dataclass(frozen=True)
class SignalKind:
    kind: str
    bad: str
    """``up`` when a rise is bad, ``down`` when a fall is, ``both`` when either may be."""
    weight: float


_RULES: list[tuple[str, SignalKind]] = [
    (r"success|hit_ratio|hitratio|available|availability|node_ready|^ready|_ready|up$|expiry|replicas_available",
     SignalKind("availability", "down", 1.0)),
    (r"error|fail|5xx|exception|reject|denied|refused|oom|crash|dns_err|tls_handshake|unauthori|rate_limited|429|drop|loss|retransmit",
     SignalKind("errors", "up", 1.0)),
    (r"restart", SignalKind("restarts", "up", 1.0)),
    (r"latency|duration|p99|p95|p90|p50|response_time|wait|pause|delay|slow|rtt|skew|lag",
     SignalKind("latency", "up", 1.0)),
    (r"cpu|throttl|load", SignalKind("cpu", "up", 0.9)),
    (r"mem|heap|rss|resident", SignalKind("memory", "up", 0.9)),
    (r"queue|depth|backlog|pending", SignalKind("queue", "up", 0.9)),
    (r"pool|in_use|inuse|active|saturation|utili[sz]ation|connections|threads", SignalKind("saturation", "up", 0.9)),
    (r"disk|volume|inode|fs_", SignalKind("disk", "up", 0.9)),
    (r"log_lines|log_volume|log_bytes", SignalKind("logs", "up", 0.8)),
    (r"replicas", SignalKind("capacity", "both", 0.5)),
    (r"request|rps|qps|throughput|workload|traffic|rate$|log_lines", SignalKind("traffic", "both", 0.5)),
    (r"network|bytes|syscall|packets", SignalKind("io", "both", 0.6)),
]
_COMPILED = [(re.compile(pattern, re.IGNORECASE), kind) for pattern, kind in _RULES]
_UNKNOWN = SignalKind("other", "both", 0.6)


def classify(metric: str) -> SignalKind:
    """The signal kind of a metric name (``error_ratio`` → errors/up, ``cache_hit_ratio`` → availability/down)."""
    for pattern, kind in _COMPILED:
        if pattern.search(metric):
            return kind
    return _UNKNOWN
