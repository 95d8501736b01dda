"""Fixtures for the lab's unit tests: a lab layout in a temporary directory and a fake lab client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evals.lab.client import LabError
from evals.lab.state import baseline_state
from evals.lab.topology import SERVICES, LabLayout


class FakeClient:
    """Records what the actuator and the fault catalogue ask of the lab, without processes."""

    def __init__(self, layout: LabLayout) -> None:
        self.layout = layout
        self.states = {s.name: baseline_state(s.name) for s in SERVICES}
        self.calls: list[tuple[Any, ...]] = []
        self.depth = 7

    def state(self, service: str) -> dict[str, Any]:
        return self.states[service]

    def replicas(self, service: str) -> int:
        return int(self.states[service]["replicas"])

    def restart(self, service: str) -> dict[str, Any]:
        self.calls.append(("restart", service))
        return {"service": service, "restarted": [f"{service}/0"]}

    def scale(self, service: str, replicas: int) -> dict[str, Any]:
        self.calls.append(("scale", service, replicas))
        before = self.states[service]["replicas"]
        self.states[service]["replicas"] = replicas
        return {"service": service, "from": before, "to": replicas}

    def deploy(
        self, service: str, version: str, defect: str = "", description: str = "", author: str = "lab"
    ) -> dict[str, Any]:
        self.calls.append(("deploy", service, version, defect, author))
        previous = self.states[service]["version"]
        self.states[service]["version"] = version
        self.states[service]["history"].append(version)
        return {"service": service, "version": version, "previous_version": previous}

    def previous_version(self, service: str) -> str:
        current = self.states[service]["version"]
        earlier = [v for v in self.states[service]["history"] if v != current]
        if not earlier:
            raise LabError(f"{service} has no earlier version to roll back to")
        return str(earlier[-1])

    def rollback(self, service: str, to_version: str | None = None, author: str = "lab") -> dict[str, Any]:
        return self.deploy(service, to_version or self.previous_version(service), author=author)

    def set_flag(self, service: str, flag: str, enabled: bool, by: str = "lab") -> dict[str, bool]:
        self.calls.append(("flag", service, flag, enabled, by))
        self.states[service]["flags"][flag] = enabled
        return dict(self.states[service]["flags"])

    def fault(self, service: str, name: str, value: float, replica: int = 0) -> dict[str, Any]:
        self.calls.append(("fault", service, name, value))
        env = self.states[service]["env"]
        if value:
            env[name] = value
        else:
            env.pop(name, None)
        return {"env": dict(env)}

    def queue_stats(self) -> dict[str, Any]:
        return {"order-events": {"depth": self.depth}}

    def drain_queue(self, target: str | None = None) -> dict[str, Any]:
        self.calls.append(("drain", target))
        drained, self.depth = self.depth, 0
        return {"queue": "order-events", "drained": drained, "target": target}


@pytest.fixture
def layout(tmp_path: Path) -> LabLayout:
    return LabLayout(tmp_path / "lab", 19100)


@pytest.fixture
def fake_client(layout: LabLayout) -> FakeClient:
    return FakeClient(layout)
