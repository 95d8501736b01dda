"""The lab's faults: what each one breaks, which bundled runbook it matches, the root cause Andon
should name and the action that repairs it; and ``heal``, which puts the lab back to its baseline."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evals.lab.client import LabClient, LabError
from evals.lab.state import record_change, reset_services, update_lab
from evals.lab.topology import QUEUE, SERVICES, spec

__all__ = ["Fault", "FAULTS", "fault", "heal", "next_version", "SETTLE_S"]

SETTLE_S = 32.0
"""After healing, how long the 30 s rate windows need before the metrics show the healthy system."""


@dataclass(frozen=True)
class Fault:
    name: str
    title: str
    service: str
    """The default target."""
    services: tuple[str, ...]
    """Targets the fault makes sense on."""
    category: str
    """The root-cause category Andon should name (knowledge/categories.yaml)."""
    action: str
    """The tool of the proposal that repairs it."""
    runbook: str
    inject: Callable[[LabClient, str], dict[str, Any]]
    symptomatic: bool = True
    """False for the noise fault: a harmless change that should page nobody."""
    also: tuple[str, ...] = ()
    """Categories just as right for this fault: a release that exits on start-up is a crash loop and a bad
    deploy (knowledge/categories.yaml: a bad deploy "introduced errors or crashes"), with the same fix."""

    def names(self, category: str | None) -> bool:
        """``category`` is a right name for this fault."""
        return category == self.category or category in self.also


def next_version(version: str, part: str = "minor") -> str:
    """``2.3.1`` → ``2.4.0`` (minor) or ``2.3.2`` (patch)."""
    pieces = [int(p) if p.isdigit() else 0 for p in version.split(".")] + [0, 0]
    major, minor, patch = pieces[:3]
    return f"{major}.{minor + 1}.0" if part == "minor" else f"{major}.{minor}.{patch + 1}"


def _bad_deploy(client: LabClient, service: str) -> dict[str, Any]:
    version = next_version(client.state(service)["version"])
    return client.deploy(
        service, version, defect="errors", description=f"release {version}: new order total rounding", author="ci"
    )


def _crash_loop(client: LabClient, service: str) -> dict[str, Any]:
    version = next_version(client.state(service)["version"])
    return client.deploy(
        service, version, defect="crash", description=f"release {version}: ledger client configuration", author="ci"
    )


def _noise(client: LabClient, service: str) -> dict[str, Any]:
    version = next_version(client.state(service)["version"], "patch")
    return client.deploy(
        service, version, description=f"release {version}: log format tweak (no behaviour change)", author="ci"
    )


def _bad_flag(client: LabClient, service: str) -> dict[str, Any]:
    return {"flags": client.set_flag(service, "new-tax-engine", True, by="release-manager")}


def _env(name: str, value: float) -> Callable[[LabClient, str], dict[str, Any]]:
    def inject(client: LabClient, service: str) -> dict[str, Any]:
        return client.fault(service, name, value)

    return inject


_SHOP = ("gateway", "checkout", "payments", "inventory")
_POOLED = ("checkout", "payments", "inventory")
_ALL = tuple(s.name for s in SERVICES if s.name != "db")

FAULTS: dict[str, Fault] = {
    f.name: f
    for f in [
        Fault(
            "bad_deploy",
            "A release that throws 5xx on 40% of requests",
            "payments",
            _SHOP,
            "bad_deploy",
            "rollback_deploy",
            "rb-bad-deploy-error-spike",
            _bad_deploy,
        ),
        Fault(
            "slow_dependency",
            "A slow network path from the service to its dependencies (+0.6 s per call)",
            "payments",
            _SHOP,
            "network_latency",
            "run_automation",
            "rb-network-latency-slow-link",
            _env("delay_s", 0.6),
        ),
        Fault(
            "pool_exhaustion",
            "Database connections leaked until the pool is exhausted",
            "inventory",
            _POOLED,
            "connection_pool_exhaustion",
            "restart_service",
            "rb-db-connection-pool-exhaustion",
            _env("pool_leak", 0.08),
        ),
        Fault(
            "memory_leak",
            "A session cache that never evicts: +12 MB/s until the 256 MB limit OOM-kills it, again and again",
            "checkout",
            _ALL,
            "memory_leak",
            "restart_service",
            "rb-memory-leak-oomkilled",
            _env("memory_leak_mb_s", 12.0),
        ),
        Fault(
            "cpu_hog",
            "A hot code path burning 35 ms of CPU per request",
            "inventory",
            _SHOP,
            "cpu_saturation",
            "scale_service",
            "rb-cpu-saturation-throttling",
            _env("cpu_ms", 35.0),
        ),
        Fault(
            "crash_loop",
            "A release that exits on start-up, restarted again and again",
            "inventory",
            _ALL,
            "crash_loop",
            "rollback_deploy",
            "rb-crash-loop",
            _crash_loop,
            also=("bad_deploy",),
        ),
        Fault(
            "bad_flag",
            "Flag new-tax-engine turned on; the flagged path fails 60% of orders",
            "checkout",
            ("checkout",),
            "bad_config",
            "toggle_flag",
            "rb-bad-feature-flag",
            _bad_flag,
        ),
        Fault(
            "queue_backlog",
            "The worker slows to 0.8 s per message; the queue backs up",
            "worker",
            ("worker",),
            "queue_backlog",
            "scale_service",
            "rb-queue-backlog-consumer-lag",
            _env("process_s", 0.8),
        ),
        Fault(
            "noise",
            "A harmless deploy (log format only) — should page nobody and mislead nobody",
            "gateway",
            _ALL,
            "no_fault",
            "",
            "",
            _noise,
            symptomatic=False,
        ),
    ]
}


def fault(name: str) -> Fault:
    try:
        return FAULTS[name]
    except KeyError:
        raise LabError(f"unknown fault {name!r}; the lab knows {', '.join(FAULTS)}") from None


def inject(client: LabClient, name: str, service: str | None = None) -> dict[str, Any]:
    """Inject fault ``name`` into ``service`` (default: the fault's usual target); returns what was done."""
    chosen = fault(name)
    target = service or chosen.service
    spec(target)
    if target not in chosen.services:
        raise LabError(f"{name} applies to {', '.join(chosen.services)}, not {target}")
    at = time.time()
    detail = chosen.inject(client, target)
    update_lab(
        client.layout, lambda s: s.setdefault("injected", []).append({"fault": name, "service": target, "at": at})
    )
    return {"fault": name, "service": target, "at": at, "detail": detail}


def heal(client: LabClient, clean_since: float | None = None) -> dict[str, Any]:
    """Back to the baseline: baseline versions and flags, no faults, one replica each, a short queue.

    Services that ran anything else restart. The experiment epoch — where the next investigation's
    data begins — is set once the 30 s rate windows hold only healthy data: ``SETTLE_S`` from now, or
    from ``clean_since`` (when a fix already healed the system) if nothing had to restart."""
    touched: list[str] = []
    versions: dict[str, str] = {}
    scaled = False
    for s in SERVICES:
        state = client.state(s.name)
        versions[s.name] = str(state.get("version"))
        local: dict[str, Any] = {}
        with contextlib.suppress(LabError):
            local = client.faults(s.name).get("local", {})
        differs = (
            state.get("version") != s.version
            or state.get("flags") != s.flags
            or state.get("env")
            or any(v for v in local.values())
        )
        if int(state.get("replicas", 1)) != 1:
            client.scale(s.name, 1)
            scaled = True
        if differs:
            touched.append(s.name)
    reset_services(client.layout)
    for s in SERVICES:
        if s.name in touched and versions[s.name] != s.version:
            record_change(
                client.layout,
                s.name,
                "deploy",
                f"lab heal: {s.name} back to {s.version}",
                version=s.version,
                previous_version=versions[s.name],
                author="lab-heal",
            )
    for service in touched:
        client.restart(service)
    depth = int(client.queue_stats().get(QUEUE, {}).get("depth", 0))
    drained = client.drain_queue().get("drained", 0) if depth > 20 else 0
    now = time.time()
    settled_from = now if touched or scaled or drained or clean_since is None else min(clean_since, now)
    epoch = max(settled_from + SETTLE_S, now)
    update_lab(client.layout, lambda s: s.update(epoch=epoch, injected=[]))
    return {"restarted": touched, "drained": drained, "epoch": epoch}
