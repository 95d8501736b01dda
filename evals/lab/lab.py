"""Bring the lab up and down, report its status, inject faults and heal — what ``andon lab`` runs.

``up`` starts the supervisor as a detached process (it outlives the command) and waits until every
service answers, Prometheus has recorded the vocabulary series and Alertmanager is ready; the ports,
pids and the experiment epoch live in ``<data_dir>/lab/state.json``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from evals.lab import faults
from evals.lab.client import LabClient, LabError
from evals.lab.monitoring import find_binary, write_configs
from evals.lab.state import read_lab, reset_services, update_lab, write_json
from evals.lab.supervisor import child_env, python_command
from evals.lab.topology import SERVICES, LabLayout

__all__ = ["Lab", "DEFAULT_BASE_PORT"]

DEFAULT_BASE_PORT = 19100


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower().split("state:")[1].splitlines()[0]
    except (OSError, IndexError):
        return True


def _ours(pid: int, root: Path) -> bool:
    """Whether ``pid`` is a lab process of this lab (its command line names the lab directory)."""
    try:
        return str(root) in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False


class Lab:
    """One lab under ``<data_dir>/lab``."""

    def __init__(self, data_dir: Path) -> None:
        self.root = (Path(data_dir) / "lab").resolve()
        recorded = read_lab(LabLayout(self.root))
        self.layout = LabLayout(self.root, int(recorded.get("base_port", DEFAULT_BASE_PORT)))

    @property
    def client(self) -> LabClient:
        return LabClient(self.layout)

    def record(self) -> dict[str, Any]:
        return read_lab(self.layout)

    def running(self) -> bool:
        return _alive(self.record().get("supervisor_pid"))

    def _choose_base(self, base_port: int | None) -> int:
        candidates = [base_port] if base_port else [DEFAULT_BASE_PORT + 100 * i for i in range(20)]
        for base in candidates:
            if all(_port_free(p) for p in LabLayout(self.root, base).all_ports()):
                return base
        raise LabError(f"no free port range for the lab (tried from {candidates[0]}); pass --base-port")

    # ----- up / down -----
    def up(
        self, base_port: int | None = None, webhook_url: str | None = None, rps: float = 20.0, timeout_s: float = 90.0
    ) -> dict[str, Any]:
        if self.running():
            raise LabError(
                f"the lab is already up (supervisor pid {self.record()['supervisor_pid']}); `andon lab down` first"
            )
        for binary in ("prometheus", "alertmanager"):
            find_binary(binary)
        base = self._choose_base(base_port)
        if self.root.exists():
            shutil.rmtree(self.root)
        self.layout = LabLayout(self.root, base)
        webhook = webhook_url or self.layout.default_webhook_url
        reset_services(self.layout)
        write_configs(self.layout, webhook)
        now = time.time()
        write_json(
            self.layout.state_file,
            {
                "base_port": base,
                "webhook_url": webhook,
                "started_at": now,
                "epoch": now,
                "rps": rps,
                "pids": {},
                "injected": [],
            },
        )
        (self.root / "stdio").mkdir(parents=True, exist_ok=True)
        with (self.root / "stdio" / "supervisor.out").open("ab") as sink:
            process = subprocess.Popen(
                python_command("evals.lab.supervisor", self.layout, "--rps", str(rps)),
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=child_env(),
                cwd=self.root,
                start_new_session=True,
            )
        update_lab(self.layout, lambda s: s.update(supervisor_pid=process.pid))
        try:
            self.wait_ready(timeout_s)
        except Exception:
            self.down()
            raise
        epoch = time.time() + faults.SETTLE_S
        update_lab(self.layout, lambda s: s.update(epoch=epoch))
        return self.status()

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        """Until every service answers, Prometheus has request rates for them and Alertmanager is ready."""
        deadline = time.time() + timeout_s
        checks = [
            f"{self.layout.control_url}/healthz",
            f"{self.layout.prometheus_url}/-/ready",
            f"{self.layout.alertmanager_url}/-/ready",
        ] + [f"http://127.0.0.1:{self.layout.service_port(s.name)}/version" for s in SERVICES]
        pending = list(checks)
        with httpx.Client(timeout=2.0) as http:
            while time.time() < deadline:
                if not self.running():
                    raise LabError(f"the lab supervisor exited; see {self.root / 'stdio' / 'supervisor.out'}")
                pending = [url for url in pending if not _answers(http, url)]
                if not pending and self._recording(http):
                    return
                time.sleep(0.5)
        raise LabError(
            f"the lab did not become ready within {timeout_s:.0f}s; waiting for: "
            f"{', '.join(pending) or 'request rates in Prometheus'}"
        )

    def _recording(self, http: httpx.Client) -> bool:
        try:
            body = http.get(
                f"{self.layout.prometheus_url}/api/v1/query",
                params={
                    "query": "count(sum by (service_name) (rate(http_server_request_duration_seconds_count[30s])) > 0)"
                },
            ).json()
            result = body["data"]["result"]
            return bool(result) and float(result[0]["value"][1]) >= 4
        except (httpx.HTTPError, ValueError, KeyError, IndexError):
            return False

    def down(self, timeout_s: float = 20.0) -> dict[str, Any]:
        record = self.record()
        supervisor = int(record.get("supervisor_pid") or 0)
        stopped = []
        if _alive(supervisor):
            try:
                httpx.post(f"{self.layout.control_url}/shutdown", timeout=3.0)
            except httpx.HTTPError:
                os.kill(supervisor, signal.SIGTERM)
            deadline = time.time() + timeout_s
            while _alive(supervisor) and time.time() < deadline:
                time.sleep(0.2)
            if _alive(supervisor):
                os.kill(supervisor, signal.SIGKILL)
            stopped.append(supervisor)
        for _name, pid in (record.get("pids") or {}).items():
            if _alive(pid) and _ours(pid, self.root):
                os.kill(pid, signal.SIGKILL)
                stopped.append(pid)
        if self.layout.state_file.exists():
            update_lab(self.layout, lambda s: s.update(supervisor_pid=None, pids={}))
        return {"stopped": stopped}

    # ----- status / faults -----
    def status(self) -> dict[str, Any]:
        record = self.record()
        out: dict[str, Any] = {
            "running": self.running(),
            "dir": str(self.root),
            "base_port": self.layout.base_port,
            "prometheus": self.layout.prometheus_url,
            "alertmanager": self.layout.alertmanager_url,
            "change_feed": self.layout.change_feed_url,
            "webhook": record.get("webhook_url"),
            "logs": str(self.layout.logs_dir),
            "epoch": record.get("epoch"),
            "injected": record.get("injected", []),
            "services": {},
        }
        live: dict[str, Any] = {}
        if out["running"]:
            try:
                live = self.client.status()
            except LabError:
                live = {}
        for s in SERVICES:
            state = self.client.state(s.name)
            out["services"][s.name] = {
                "version": state.get("version"),
                "replicas": state.get("replicas", 1),
                "flags": state.get("flags", {}),
                "faults": state.get("env", {}),
                "port": self.layout.service_port(s.name),
                "restarts": live.get("restarts", {}).get(s.name, 0),
                "running": sum(
                    1 for c in live.get("children", {}).values() if c.get("service") == s.name and c.get("running")
                ),
            }
        return out

    def inject(self, name: str, service: str | None = None) -> dict[str, Any]:
        self._require_running()
        return faults.inject(self.client, name, service)

    def heal(self, clean_since: float | None = None) -> dict[str, Any]:
        self._require_running()
        return faults.heal(self.client, clean_since)

    def _require_running(self) -> None:
        if not self.running():
            raise LabError("the lab is not up: run `andon lab up`")


def _answers(http: httpx.Client, url: str) -> bool:
    try:
        return http.get(url).status_code == 200
    except httpx.HTTPError:
        return False
