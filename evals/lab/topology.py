"""The lab's system: which services exist, what they call, their baseline versions and flags, and
the port each process listens on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ServiceSpec",
    "SERVICES",
    "SPECS",
    "TOPOLOGY",
    "LabLayout",
    "CPU_LIMIT_CORES",
    "MEMORY_LIMIT_MB",
    "MAX_REPLICAS",
    "NAMESPACE",
    "QUEUE",
    "spec",
]

CPU_LIMIT_CORES = 0.5
"""The nominal CPU limit of one replica: ``cpu_usage_ratio`` is CPU used over this."""
MEMORY_LIMIT_MB = 256.0
"""The memory limit of one replica: the supervisor OOM-kills a process whose resident memory passes it,
as the kernel does to a container over its cgroup limit."""
NAMESPACE = "lab"
"""The namespace the supervisor's Kubernetes-style API puts the lab's pods in."""
MAX_REPLICAS = 6
"""The most replicas of one service the lab runs (the machine has two cores)."""
QUEUE = "order-events"
"""The queue checkout publishes to and the worker consumes, kept by the db stand-in."""


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    role: str
    """``http`` (business API), ``db`` (the database stand-in) or ``worker`` (a queue consumer)."""
    calls: tuple[str, ...]
    version: str
    """The version running when the lab comes up (and after ``heal``)."""
    flags: dict[str, bool] = field(default_factory=dict)
    scalable: bool = True


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("gateway", "http", ("checkout", "inventory"), "1.9.1", {"compress-responses": True}),
    ServiceSpec(
        "checkout",
        "http",
        ("inventory", "payments", "db"),
        "3.2.0",
        {"new-tax-engine": False, "express-checkout": True},
    ),
    ServiceSpec("payments", "http", ("db",), "2.3.1", {"3ds-challenge": True}),
    ServiceSpec("inventory", "http", ("db",), "1.4.7", {"reservation-ttl-v2": False}),
    ServiceSpec("db", "db", (), "14.2", {}, scalable=False),
    ServiceSpec("worker", "worker", ("db",), "1.5.0", {"batch-acks": False}),
)
SPECS = {s.name: s for s in SERVICES}
TOPOLOGY = {s.name: list(s.calls) for s in SERVICES}
"""service -> the services it depends on, as Andon's ``topology`` setting wants it."""


def spec(service: str) -> ServiceSpec:
    try:
        return SPECS[service]
    except KeyError:
        raise ValueError(f"unknown lab service {service!r}; the lab runs {', '.join(SPECS)}") from None


@dataclass(frozen=True)
class LabLayout:
    """Where a lab keeps its files (``<data_dir>/lab``) and which loopback ports it uses from ``base_port``."""

    root: Path
    base_port: int = 19100

    @property
    def control_port(self) -> int:
        return self.base_port

    @property
    def prometheus_port(self) -> int:
        return self.base_port + 1

    @property
    def alertmanager_port(self) -> int:
        return self.base_port + 2

    @property
    def webhook_port(self) -> int:
        return self.base_port + 3

    def service_port(self, service: str, replica: int = 0) -> int:
        index = [s.name for s in SERVICES].index(spec(service).name)
        if not 0 <= replica < 10:
            raise ValueError(f"replica {replica} out of range")
        return self.base_port + 10 + 10 * index + replica

    def all_ports(self) -> list[int]:
        fixed = [self.control_port, self.prometheus_port, self.alertmanager_port, self.webhook_port]
        return fixed + [self.service_port(s.name, r) for s in SERVICES for r in range(MAX_REPLICAS)]

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.control_port}"

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"

    @property
    def alertmanager_url(self) -> str:
        return f"http://127.0.0.1:{self.alertmanager_port}"

    @property
    def change_feed_url(self) -> str:
        return f"{self.control_url}/changes"

    @property
    def default_webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.webhook_port}/alertmanager"

    # ----- files -----
    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def services_dir(self) -> Path:
        return self.root / "services"

    def service_state_file(self, service: str) -> Path:
        return self.services_dir / f"{service}.json"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def pods_dir(self) -> Path:
        """Per-pod fault switches: a container restarted in its pod keeps them; a new pod starts clean."""
        return self.root / "pods"

    def cpu_stat_file(self, pod: str) -> Path:
        """A pod's CFS counters, written by its process the way the kernel keeps a cgroup's ``cpu.stat``
        (``nr_periods``, ``nr_throttled``, ``throttled_usec``); the supervisor's cAdvisor reads them."""
        return self.pods_dir / f"{pod}.cpu.stat"

    @property
    def changes_file(self) -> Path:
        return self.root / "changes.jsonl"

    @property
    def endpoints_file(self) -> Path:
        return self.root / "endpoints.json"

    @property
    def targets_file(self) -> Path:
        return self.root / "prometheus" / "targets.json"

    @property
    def prometheus_dir(self) -> Path:
        return self.root / "prometheus"

    @property
    def alertmanager_dir(self) -> Path:
        return self.root / "alertmanager"
