"""The lab's files: the lab record (ports, pids, epoch), each service's deployed state (version,
flags, environment faults, replicas) and the change feed. Plain JSON, written atomically, changed
under a file lock so the CLI, the supervisor and the service processes can share them."""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evals.lab.topology import SERVICES, LabLayout, spec

__all__ = [
    "read_json",
    "write_json",
    "locked",
    "baseline_state",
    "load_service_state",
    "update_service_state",
    "record_change",
    "read_changes",
    "read_lab",
    "update_lab",
    "reset_services",
]


def read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def write_json(path: Path, value: Any) -> None:
    """Write atomically: readers see the old or the new file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(value, indent=2, sort_keys=True))
    os.replace(temporary, path)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path.lock`` for a read-modify-write of ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def baseline_state(service: str) -> dict[str, Any]:
    """A service as it runs when the lab comes up: baseline version and flags, no faults, one replica."""
    s = spec(service)
    return {
        "service": s.name,
        "version": s.version,
        "history": [s.version],
        "defects": {},
        "flags": dict(s.flags),
        "env": {},
        "replicas": 1,
    }


def load_service_state(layout: LabLayout, service: str) -> dict[str, Any]:
    state = read_json(layout.service_state_file(service))
    return state if isinstance(state, dict) else baseline_state(service)


def update_service_state(layout: LabLayout, service: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Apply ``change`` to a service's state under the lock; returns the new state."""
    path = layout.service_state_file(service)
    with locked(path):
        state = load_service_state(layout, service)
        change(state)
        write_json(path, state)
    return state


def reset_services(layout: LabLayout, keep_replicas: bool = False) -> None:
    for s in SERVICES:

        def reset(state: dict[str, Any], name: str = s.name) -> None:
            replicas = state.get("replicas", 1)
            state.clear()
            state.update(baseline_state(name))
            if keep_replicas:
                state["replicas"] = replicas

        update_service_state(layout, s.name, reset)


def record_change(
    layout: LabLayout,
    service: str,
    kind: str,
    description: str,
    version: str = "",
    previous_version: str = "",
    flag: str = "",
    author: str = "lab",
    ts: float | None = None,
) -> dict[str, Any]:
    """Append one change (deploy, flag flip, config) to the feed the lab serves at ``/changes``."""
    entry = {
        "ts": round(ts if ts is not None else time.time(), 3),
        "service": service,
        "kind": kind,
        "version": version,
        "previous_version": previous_version,
        "description": description,
        "flag": flag,
        "author": author,
    }
    layout.changes_file.parent.mkdir(parents=True, exist_ok=True)
    with locked(layout.changes_file), layout.changes_file.open("a") as handle:
        handle.write(json.dumps(entry) + "\n")
    return entry


def read_changes(layout: LabLayout, since: float | None = None, until: float | None = None) -> list[dict[str, Any]]:
    out = []
    try:
        lines = layout.changes_file.read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        ts = float(entry.get("ts", 0))
        if (since is None or ts >= since) and (until is None or ts <= until):
            out.append(entry)
    return out


def read_lab(layout: LabLayout) -> dict[str, Any]:
    state = read_json(layout.state_file)
    return state if isinstance(state, dict) else {}


def update_lab(layout: LabLayout, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    with locked(layout.state_file):
        state = read_lab(layout)
        change(state)
        write_json(layout.state_file, state)
    return state
