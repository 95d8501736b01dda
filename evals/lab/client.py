"""Operate a running lab: deploy and roll back versions, flip flags, switch faults on and off, restart
and scale through the supervisor. Used by ``andon lab``, the fault catalogue and the lab actuator."""

from __future__ import annotations

from typing import Any

import httpx

from evals.lab.state import load_service_state, read_changes, record_change, update_service_state
from evals.lab.topology import QUEUE, LabLayout, spec

__all__ = ["LabClient", "LabError"]


class LabError(RuntimeError):
    """The lab refused or could not do what was asked; the message says why."""


class LabClient:
    def __init__(self, layout: LabLayout, client: httpx.Client | None = None, timeout_s: float = 30.0) -> None:
        self.layout = layout
        self.http = client or httpx.Client(timeout=timeout_s)

    def _call(self, method: str, url: str, body: Any = None) -> Any:
        try:
            response = self.http.request(method, url, json=body)
        except httpx.HTTPError as exc:
            raise LabError(f"{method} {url} failed: {exc} (is the lab up? `andon lab status`)") from exc
        try:
            payload = response.json()
        except ValueError:
            payload = {"error": response.text[:200]}
        if response.status_code >= 400:
            raise LabError(f"{method} {url} answered {response.status_code}: {payload.get('error', payload)}")
        return payload

    # ----- service endpoints -----
    def service_url(self, service: str, replica: int = 0) -> str:
        return f"http://127.0.0.1:{self.layout.service_port(service, replica)}"

    def state(self, service: str) -> dict[str, Any]:
        spec(service)
        return load_service_state(self.layout, service)

    def replicas(self, service: str) -> int:
        return max(1, int(self.state(service).get("replicas", 1)))

    def version(self, service: str) -> dict[str, Any]:
        return dict(self._call("GET", f"{self.service_url(service)}/version"))

    def flags(self, service: str) -> dict[str, bool]:
        return dict(self._call("GET", f"{self.service_url(service)}/flags"))

    def set_flag(self, service: str, flag: str, enabled: bool, by: str = "lab") -> dict[str, bool]:
        known = self.state(service).get("flags", {})
        if flag not in known:
            raise LabError(f"{service} has no flag {flag!r}; its flags: {', '.join(sorted(known)) or 'none'}")
        return dict(
            self._call("PUT", f"{self.service_url(service)}/flags", {"flag": flag, "enabled": enabled, "by": by})
        )

    def fault(self, service: str, name: str, value: float, replica: int = 0) -> dict[str, Any]:
        """Switch a fault on (``value`` > 0) or off through the service's admin endpoint."""
        return dict(
            self._call("POST", f"{self.service_url(service, replica)}/admin/fault", {"name": name, "value": value})
        )

    def faults(self, service: str, replica: int = 0) -> dict[str, Any]:
        return dict(self._call("GET", f"{self.service_url(service, replica)}/admin/fault"))

    # ----- supervisor -----
    def status(self) -> dict[str, Any]:
        return dict(self._call("GET", f"{self.layout.control_url}/status"))

    def restart(self, service: str) -> dict[str, Any]:
        spec(service)
        return dict(self._call("POST", f"{self.layout.control_url}/services/{service}/restart", {}))

    def scale(self, service: str, replicas: int) -> dict[str, Any]:
        if not spec(service).scalable:
            raise LabError(f"{service} is stateful; the lab runs exactly one replica of it")
        return dict(self._call("POST", f"{self.layout.control_url}/services/{service}/scale", {"replicas": replicas}))

    def changes(self, since: float | None = None, until: float | None = None) -> list[dict[str, Any]]:
        return read_changes(self.layout, since, until)

    # ----- releases -----
    def deploy(
        self, service: str, version: str, defect: str = "", description: str = "", author: str = "lab"
    ) -> dict[str, Any]:
        """Roll out ``version`` (optionally a release carrying ``defect``: ``errors`` or ``crash``) and record it."""
        previous = str(self.state(service)["version"])
        if version == previous:
            raise LabError(f"{service} already runs {version}")

        def change(state: dict[str, Any]) -> None:
            state["version"] = version
            state.setdefault("history", []).append(version)
            defects = state.setdefault("defects", {})
            if defect:
                defects[version] = defect

        update_service_state(self.layout, service, change)
        entry = record_change(
            self.layout,
            service,
            "deploy",
            description or f"deploy {service} {version}",
            version=version,
            previous_version=previous,
            author=author,
        )
        self.restart(service)
        return {"service": service, "version": version, "previous_version": previous, "change": entry}

    def previous_version(self, service: str) -> str:
        state = self.state(service)
        current = state["version"]
        history = [v for v in state.get("history", []) if v != current]
        if not history:
            raise LabError(f"{service} has no earlier version to roll back to")
        return str(history[-1])

    def rollback(self, service: str, to_version: str | None = None, author: str = "lab") -> dict[str, Any]:
        target = to_version or self.previous_version(service)
        current = self.state(service)["version"]
        if target not in self.state(service).get("history", []):
            raise LabError(f"{service} never ran {target}; its history: {', '.join(self.state(service)['history'])}")
        return self.deploy(service, target, description=f"rollback of {service} {current} to {target}", author=author)

    # ----- the queue -----
    def drain_queue(self, target: str | None = None) -> dict[str, Any]:
        return dict(self._call("POST", f"{self.service_url('db')}/queue/drain", {"queue": QUEUE, "target": target}))

    def queue_stats(self) -> dict[str, Any]:
        return dict(self._call("GET", f"{self.service_url('db')}/queue/stats"))
