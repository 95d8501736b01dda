"""What every lab process shares: structured JSON logs, a cached view of the service's deployed
state (version, flags, environment faults) and of the endpoints of the other services."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from evals.lab.state import load_service_state, read_json
from evals.lab.topology import LabLayout

__all__ = ["JsonLog", "StateView", "Endpoints"]


class JsonLog:
    """One JSON object per line in ``<logs>/<service>.log``: ts, level, msg, service, replica, extra fields."""

    def __init__(self, path: Path, service: str, replica: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("a", buffering=1)
        self._lock = threading.Lock()
        self.service = service
        self.replica = replica

    def log(self, level: str, msg: str, **fields: Any) -> None:
        record = {
            "ts": round(time.time(), 3),
            "level": level,
            "msg": msg,
            "service": self.service,
            "replica": self.replica,
            **fields,
        }
        line = json.dumps(record, default=str) + "\n"
        with self._lock:
            self._handle.write(line)

    def info(self, msg: str, **fields: Any) -> None:
        self.log("info", msg, **fields)

    def warning(self, msg: str, **fields: Any) -> None:
        self.log("warning", msg, **fields)

    def error(self, msg: str, **fields: Any) -> None:
        self.log("error", msg, **fields)

    def critical(self, msg: str, **fields: Any) -> None:
        self.log("critical", msg, **fields)


class _Cached:
    """A JSON file re-read when its modification time changes, checked at most every ``every_s``."""

    def __init__(self, path: Path, every_s: float = 0.5) -> None:
        self.path = path
        self.every_s = every_s
        self._checked = 0.0
        self._mtime = -1.0
        self._value: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        return read_json(self.path)

    def get(self) -> Any:
        now = time.monotonic()
        with self._lock:
            if now - self._checked >= self.every_s or self._value is None:
                self._checked = now
                try:
                    mtime = self.path.stat().st_mtime
                except OSError:
                    mtime = -1.0
                if mtime != self._mtime or self._value is None:
                    value = self._load()
                    if value is not None:
                        self._value, self._mtime = value, mtime
            return self._value


class StateView(_Cached):
    """The service's deployed state, shared by all its replicas (a flag flip reaches every replica)."""

    def __init__(self, layout: LabLayout, service: str) -> None:
        super().__init__(layout.service_state_file(service))
        self.layout = layout
        self.service = service

    def _load(self) -> Any:
        return load_service_state(self.layout, self.service)

    @property
    def version(self) -> str:
        return str(self.get().get("version", "0"))

    @property
    def defect(self) -> str:
        state = self.get()
        return str(state.get("defects", {}).get(state.get("version"), ""))

    def flag(self, name: str) -> bool:
        return bool(self.get().get("flags", {}).get(name, False))

    def env(self, name: str, default: float = 0.0) -> float:
        return float(self.get().get("env", {}).get(name, default))


class Endpoints(_Cached):
    """The ports of every running replica (written by the supervisor), served round-robin."""

    def __init__(self, layout: LabLayout) -> None:
        super().__init__(layout.endpoints_file, every_s=1.0)
        self.layout = layout
        self._turn: dict[str, int] = {}

    def ports(self, service: str) -> list[int]:
        found = (self.get() or {}).get(service)
        return [int(p) for p in found] if found else [self.layout.service_port(service, 0)]

    def next_port(self, service: str) -> int:
        ports = self.ports(service)
        turn = self._turn.get(service, 0)
        self._turn[service] = turn + 1
        return ports[turn % len(ports)]
