"""The lab's actuator: carries out approved actions on the lab's real processes.

It is the backend of Andon's ordinary actuator tools (``tools/catalog/actuators.py``), so every
action goes through the same proposal → approval → ``act`` path as the Kubernetes one. With
``dry_run`` it only describes what it would do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from evals.lab.client import LabClient, LabError
from evals.lab.topology import MAX_REPLICAS, SPECS

__all__ = ["LabActuator", "AUTOMATION_JOBS", "target_replicas"]

AUTOMATION_JOBS = {
    "prefer-local-zone-routing": "route calls around the slow network path (clears the added link latency)",
}
"""The automation hooks the lab implements (``run_automation``'s ``job``)."""


def target_replicas(spec: Any, current: int) -> int:
    """``"+2"`` → current + 2, ``"6"`` → 6, ``"+50%"`` → current × 1.5 (rounded up), ``"-1"`` → current − 1."""
    text = str(spec).strip()
    try:
        if text.endswith("%"):
            change = float(text.rstrip("%"))
            return math.ceil(current * (1 + change / 100.0))
        if text.startswith(("+", "-")):
            return current + int(text)
        return int(text)
    except ValueError:
        raise LabError(f"replicas must be a count ('6') or a change ('+2', '+50%'), not {spec!r}") from None


class LabActuator:
    """``execute(action, service, args, dry_run)`` for restart, scale, rollback, flags, the queue and silences."""

    def __init__(self, client: LabClient, alertmanager_url: str | None = None) -> None:
        self.client = client
        self.alertmanager_url = alertmanager_url

    def execute(self, action: str, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        handlers: dict[str, Callable[[str, dict[str, Any], bool], dict[str, Any]]] = {
            "restart_service": self._restart,
            "scale_service": self._scale,
            "rollback_deploy": self._rollback,
            "toggle_flag": self._toggle_flag,
            "drain_queue": self._drain_queue,
            "run_automation": self._automation,
            "create_silence": self._silence,
        }
        handler = handlers.get(action)
        if handler is None:
            raise LabError(f"the lab cannot {action}; it supports {', '.join(handlers)}")
        if action != "create_silence" and service not in SPECS:
            raise LabError(f"the lab has no service {service!r}; it runs {', '.join(SPECS)}")
        outcome = handler(service, args, dry_run)
        return {"action": action, "service": service, "dry_run": dry_run, **outcome}

    def _restart(self, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        replicas = self.client.replicas(service)
        detail = f"rolling restart of {service}: {replicas} replica(s) replaced one at a time"
        if dry_run:
            return {"detail": detail}
        return {"detail": detail, **self.client.restart(service)}

    def _scale(self, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        if not SPECS[service].scalable:
            raise LabError(f"{service} is stateful; the lab runs exactly one replica of it")
        current = self.client.replicas(service)
        wanted = target_replicas(args.get("replicas", "+1"), current)
        target = max(1, min(wanted, MAX_REPLICAS))
        capped = f" (capped at {MAX_REPLICAS})" if wanted > MAX_REPLICAS else ""
        detail = f"scale {service} from {current} to {target} replica(s){capped}"
        if dry_run or target == current:
            return {"detail": detail + (" — already there" if target == current else ""), "from": current, "to": target}
        return {"detail": detail, **self.client.scale(service, target)}

    def _rollback(self, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        current = self.client.state(service)["version"]
        target = args.get("to_version") or self.client.previous_version(service)
        if target == current:
            raise LabError(f"{service} already runs {target}")
        detail = f"roll {service} back from {current} to {target}"
        if dry_run:
            return {"detail": detail, "from": current, "to": target}
        done = self.client.rollback(service, target, author="andon")
        return {"detail": detail, "from": current, "to": done["version"]}

    def _toggle_flag(self, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        flag = str(args.get("flag", ""))
        enabled = bool(args.get("enabled", False))
        flags = self.client.state(service).get("flags", {})
        if flag not in flags:
            raise LabError(f"{service} has no flag {flag!r}; its flags: {', '.join(sorted(flags)) or 'none'}")
        detail = f"set flag {flag} of {service} from {'on' if flags[flag] else 'off'} to {'on' if enabled else 'off'}"
        if dry_run:
            return {"detail": detail}
        return {"detail": detail, "flags": self.client.set_flag(service, flag, enabled, by="andon")}

    def _drain_queue(self, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        if service not in ("worker", "db"):
            raise LabError(f"{service} consumes no queue; the lab's queue is consumed by worker")
        target = args.get("target") or None
        depth = int(self.client.queue_stats().get("order-events", {}).get("depth", 0))
        detail = f"drain {depth} message(s) from order-events " + (f"to {target}" if target else "(discarded)")
        if dry_run:
            return {"detail": detail, "depth": depth}
        return {"detail": detail, **self.client.drain_queue(target)}

    def _automation(self, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        job = str(args.get("job", ""))
        if job not in AUTOMATION_JOBS:
            raise LabError(f"the lab has no automation job {job!r}; it has {', '.join(AUTOMATION_JOBS)}")
        detail = f"{job} for {service}: {AUTOMATION_JOBS[job]}"
        if dry_run:
            return {"detail": detail}
        return {"detail": detail, "env": self.client.fault(service, "delay_s", 0.0).get("env", {})}

    def _silence(self, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        from tools.sources.alertmanager import AlertmanagerSource
        from tools.sources.timespec import parse_duration

        if not self.alertmanager_url:
            raise LabError("no Alertmanager configured for silences")
        matchers = {"alertname": str(args.get("alertname", ""))}
        if service:
            matchers["service"] = service
        duration = parse_duration(args.get("duration", "2h"))
        detail = f"silence {matchers} for {duration / 60:.0f} min"
        if dry_run:
            return {"detail": detail}
        silence = AlertmanagerSource(self.alertmanager_url).create_silence(
            matchers, duration, str(args.get("comment", "silenced by Andon after approval"))
        )
        return {"detail": detail, "silence_id": silence}
