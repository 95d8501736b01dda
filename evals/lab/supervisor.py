"""The lab's process supervisor: runs every service replica, the load generator, Prometheus and
Alertmanager; restarts a process that exits (with back-off, counting restarts like a kubelet);
OOM-kills a replica over its memory limit, as the kernel kills a container over its cgroup limit;
performs rolling restarts and scaling; serves the control API (see ``control.py``) and shows its
replicas as Kubernetes pods and events (see ``cluster.py``).

Run: ``python -m evals.lab.supervisor --lab-dir D --base-port P`` (``andon lab up`` does).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from evals.lab.cluster import EventRecorder, Pod, Termination, pod_object
from evals.lab.kubemetrics import Cadvisor, Container, KubeStateMetrics
from evals.lab.monitoring import alertmanager_command, prometheus_command, write_targets
from evals.lab.services.memory import resident_mb
from evals.lab.state import load_service_state, update_lab, update_service_state, write_json
from evals.lab.topology import MAX_REPLICAS, MEMORY_LIMIT_MB, SERVICES, LabLayout, spec

__all__ = ["Child", "Supervisor", "main", "python_command"]

QUICK_EXIT_S = 10.0
"""A process that exits sooner than this after starting is crash-looping: it restarts after a back-off."""
BACKOFF_S = 0.5
"""The first back-off of a crash-looping process, doubling with every quick exit (a kubelet's 10 s, on the
lab's time scale)."""
MAX_BACKOFF_S = 8.0
"""The longest back-off (a kubelet's 5 min, on the lab's time scale)."""
RESTART_S = 0.25
"""The wait before restarting a process that ran a while before it ended (an OOM kill, say)."""
STATUS_LAG_S = 2.0
"""How late a crash-looping container's start reaches its pod status (the kubelet relists every second and
batches status updates): one that crashes sooner is never seen running, as in a real CrashLoopBackOff."""
MEMORY_CHECK_S = 0.4
"""How often the supervisor compares each replica's resident memory with ``MEMORY_LIMIT_MB``."""


def python_command(module: str, layout: LabLayout, *extra: str) -> list[str]:
    return [sys.executable, "-m", module, "--lab-dir", str(layout.root), "--base-port", str(layout.base_port), *extra]


def child_env(pod: str | None = None) -> dict[str, str]:
    """The environment for lab processes: this checkout importable, unbuffered output, and for a service
    replica the name of its pod (as Kubernetes' downward API gives it)."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH", "")
    env = {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else ""), "PYTHONUNBUFFERED": "1"}
    if pod:
        env["LAB_POD_NAME"] = pod
    return env


@dataclass
class Child:
    name: str
    command: list[str]
    service: str | None = None
    replica: int = 0
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float | None = None
    wanted: bool = True
    crash_looping: bool = False
    """It exited soon after starting: waiting out a back-off, as a pod in CrashLoopBackOff does."""
    pod: Pod | None = None
    """A service replica's pod: crash restarts stay in it, planned starts make a new one."""
    oom_killed: bool = False


class Supervisor:
    def __init__(self, layout: LabLayout, rps: float = 20.0, memory_limit_mb: float = MEMORY_LIMIT_MB) -> None:
        self.layout = layout
        self.rps = rps
        self.memory_limit_mb = memory_limit_mb
        self.children: dict[str, Child] = {}
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.registry = CollectorRegistry()
        self.registry.register(Cadvisor(layout, self._containers))
        self.registry.register(KubeStateMetrics(self.pods, self.replicas))
        self.restart_counts: dict[str, int] = {}
        self.events = EventRecorder()
        self._memory_checked = 0.0
        (layout.root / "stdio").mkdir(parents=True, exist_ok=True)
        self._log = (layout.root / "supervisor.log").open("a", buffering=1)

    def log(self, msg: str, **fields: Any) -> None:
        self._log.write(json.dumps({"ts": round(time.time(), 3), "msg": msg, **fields}) + "\n")

    # ----- processes -----
    def _spawn(self, child: Child, new_pod: bool = True) -> None:
        """Start ``child``'s process: in a new pod, or (after a crash) again in the pod it had."""
        if child.service and (new_pod or child.pod is None):
            child.pod = Pod.new(child.service, str(load_service_state(self.layout, child.service)["version"]))
            child.failures = 0
            child.crash_looping = False
        elif child.pod is not None:
            child.pod.restarts += 1
        sink = (self.layout.root / "stdio" / f"{child.name.replace('/', '-')}.out").open("ab")
        child.process = subprocess.Popen(
            child.command,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=child_env(child.pod.name if child.pod else None),
            cwd=self.layout.root,
        )
        sink.close()
        child.started = time.time()
        child.restart_at = None
        child.wanted = True
        child.oom_killed = False
        if child.pod is not None:
            self.events.record(child.pod.name, "Started", f"Started container {child.service}")
        pid = child.process.pid
        update_lab(self.layout, lambda s: s.setdefault("pids", {}).__setitem__(child.name, pid))

    def _stop(self, child: Child, timeout_s: float = 3.0) -> None:
        child.wanted = False
        if child.pod is not None:
            self.events.record(child.pod.name, "Killing", f"Stopping container {child.service}")
        process = child.process
        if process is None or process.poll() is not None:
            child.process = None
            return
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        child.process = None
        update_lab(self.layout, lambda s: s.setdefault("pids", {}).pop(child.name, None))

    def _replica_child(self, service: str, replica: int) -> Child:
        name = f"{service}/{replica}"
        child = self.children.get(name)
        if child is None:
            child = Child(
                name,
                python_command("evals.lab.services", self.layout, "--service", service, "--replica", str(replica)),
                service,
                replica,
            )
            self.children[name] = child
        return child

    def _wait_port(self, port: int, timeout_s: float = 4.0, child: Child | None = None) -> bool:
        """Until ``port`` accepts connections; False after ``timeout_s``, or as soon as ``child``'s process exits."""
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if child is not None and (child.process is None or child.process.poll() is not None):
                return False
            with socket.socket() as sock:
                sock.settimeout(0.3)
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return True
            time.sleep(0.05)
        return False

    def replicas(self) -> dict[str, int]:
        return {s.name: max(1, int(load_service_state(self.layout, s.name).get("replicas", 1))) for s in SERVICES}

    def _publish(self, counts: dict[str, int]) -> None:
        """Tell callers (endpoints.json) and Prometheus (targets) which replicas exist."""
        write_json(
            self.layout.endpoints_file,
            {s: [self.layout.service_port(s, r) for r in range(n)] for s, n in counts.items()},
        )
        write_targets(self.layout, counts)

    # ----- lifecycle -----
    def start(self) -> None:
        counts = self.replicas()
        self._publish(counts)
        with self.lock:
            for service in ["db"] + [s.name for s in SERVICES if s.name != "db"]:
                for replica in range(counts[service]):
                    self._spawn(self._replica_child(service, replica))
                if service == "db":
                    self._wait_port(self.layout.service_port("db"))
            for name, command in (
                ("loadgen", python_command("evals.lab.loadgen", self.layout, "--rps", str(self.rps))),
                ("prometheus", prometheus_command(self.layout)),
                ("alertmanager", alertmanager_command(self.layout)),
            ):
                self.add(Child(name, command))
        self.log("lab started", replicas=counts)

    def add(self, child: Child) -> Child:
        """Start ``child`` and supervise it from now on."""
        with self.lock:
            self.children[child.name] = child
            self._spawn(child)
        return child

    def monitor(self) -> None:
        while not self.stopping.wait(0.2):
            self.tick()

    def tick(self) -> None:
        """One round of supervision: OOM-kill what passed its memory limit, restart what exited."""
        with self.lock:
            self._enforce_memory_limits()
            for child in list(self.children.values()):
                self._check(child)

    def _enforce_memory_limits(self) -> None:
        """Kill a replica whose resident memory passed its limit, as the kernel OOM-kills a container."""
        now = time.time()
        if now - self._memory_checked < MEMORY_CHECK_S:
            return
        self._memory_checked = now
        for child in self.children.values():
            process = child.process
            if child.service and process is not None and process.poll() is None and not child.oom_killed:
                used = resident_mb(process.pid)
                if used > self.memory_limit_mb:
                    child.oom_killed = True
                    process.kill()
                    self.log(f"{child.name} OOM-killed: {used:.0f} MB resident, limit {self.memory_limit_mb:.0f} MB")

    def _check(self, child: Child) -> None:
        now = time.time()
        if child.process is not None and child.wanted:
            code = child.process.poll()
            if code is None:
                return
            child.process = None
            child.crash_looping = now - child.started < QUICK_EXIT_S
            child.failures = child.failures + 1 if child.crash_looping else 0
            delay = min(BACKOFF_S * 2 ** (child.failures - 1), MAX_BACKOFF_S) if child.crash_looping else RESTART_S
            child.restart_at = now + delay
            if child.service:
                self.restart_counts[child.service] = self.restart_counts.get(child.service, 0) + 1
            if child.pod is not None:
                child.pod.last = Termination.of(code, child.oom_killed, child.started, now)
                if child.crash_looping:
                    self.events.record(
                        child.pod.name,
                        "BackOff",
                        f"Back-off restarting failed container {child.service} in pod {child.pod.name}_lab",
                        kind="Warning",
                    )
            self.log(f"{child.name} exited with code {code}; restarting in {delay:.1f}s", code=code)
        if child.process is None and child.wanted and child.restart_at is not None and now >= child.restart_at:
            self._spawn(child, new_pod=False)

    def _containers(self) -> list[Container]:
        """The running replicas, for cAdvisor (read without the lock, as :meth:`pods` is)."""
        out = []
        for child in list(self.children.values()):
            process, pod = child.process, child.pod
            if pod is not None and child.service and process is not None and process.returncode is None:
                out.append(Container(pod.name, child.service, process.pid))
        return out

    def pods(self) -> list[dict[str, Any]]:
        """Every wanted service replica as a Kubernetes pod (read without the lock: a rolling restart holds it
        for seconds, and a reader only needs a recent picture)."""
        now = time.time()
        out = []
        for child in list(self.children.values()):
            process, pod, restart_at = child.process, child.pod, child.restart_at
            if pod is None or not child.wanted:
                continue
            running = process is not None and process.returncode is None  # the monitor polls; never reap here
            if child.crash_looping and (not running or now - child.started < STATUS_LAG_S):
                backoff = max((restart_at or now) - now, 0.0)
                out.append(pod_object(pod, running=False, started=child.started, backoff_s=backoff))
            else:
                out.append(pod_object(pod, running=running, started=child.started))
        return out

    def rolling_restart(self, service: str) -> dict[str, Any]:
        """Replace every replica with a fresh process, one at a time; a surge replica keeps a single-replica
        service answering meanwhile."""
        with self.lock:
            counts = self.replicas()
            count = counts[service]
            surge = None
            if count == 1 and count < MAX_REPLICAS:
                surge = self._replica_child(service, 1)
                self._spawn(surge)
                self._wait_port(self.layout.service_port(service, 1), child=surge)
                self._publish({**counts, service: 2})
            restarted = []
            for replica in range(count):
                child = self._replica_child(service, replica)
                self._stop(child)
                self._spawn(child)
                restarted.append(child.name)
                self._wait_port(self.layout.service_port(service, replica), child=child)
            if surge is not None:
                self._publish(counts)
                time.sleep(0.5)
                self._stop(surge)
            self.log(f"rolling restart of {service}", replicas=restarted)
            return {"service": service, "restarted": restarted}

    def scale(self, service: str, replicas: int) -> dict[str, Any]:
        if not spec(service).scalable:
            raise ValueError(f"{service} is stateful; the lab runs exactly one replica of it")
        replicas = max(1, min(int(replicas), MAX_REPLICAS))
        with self.lock:
            before = self.replicas()[service]
            update_service_state(self.layout, service, lambda s: s.__setitem__("replicas", replicas))
            counts = self.replicas()
            if replicas > before:
                for replica in range(before, replicas):
                    self._spawn(self._replica_child(service, replica))
                for replica in range(before, replicas):
                    self._wait_port(
                        self.layout.service_port(service, replica), child=self._replica_child(service, replica)
                    )
                self._publish(counts)
            elif replicas < before:
                self._publish(counts)
                time.sleep(0.5)
                for replica in range(replicas, before):
                    self._stop(self._replica_child(service, replica))
            self.log(f"scaled {service} from {before} to {replicas}")
            return {"service": service, "from": before, "to": replicas}

    def status(self) -> dict[str, Any]:
        with self.lock:
            return {
                "children": {
                    name: {
                        "pid": c.process.pid if c.process else None,
                        "running": bool(c.process and c.process.poll() is None),
                        "started": c.started,
                        "service": c.service,
                    }
                    for name, c in self.children.items()
                },
                "restarts": dict(self.restart_counts),
                "replicas": self.replicas(),
            }

    def shutdown(self) -> None:
        self.stopping.set()
        with self.lock:
            order = sorted(
                self.children.values(), key=lambda c: (c.name in ("prometheus", "alertmanager"), c.name == "loadgen")
            )
            for child in order:
                self._stop(child)
        self.log("lab stopped")


def main(argv: list[str] | None = None) -> int:
    from evals.lab.control import serve_control

    parser = argparse.ArgumentParser(prog="evals.lab.supervisor")
    parser.add_argument("--lab-dir", type=Path, required=True)
    parser.add_argument("--base-port", type=int, required=True)
    parser.add_argument("--rps", type=float, default=20.0)
    args = parser.parse_args(argv)
    supervisor = Supervisor(LabLayout(args.lab_dir, args.base_port), args.rps)
    signal.signal(signal.SIGTERM, lambda *_: supervisor.stopping.set())
    signal.signal(signal.SIGINT, lambda *_: supervisor.stopping.set())
    server = serve_control(supervisor)
    try:
        supervisor.start()
        supervisor.monitor()
    finally:
        supervisor.shutdown()
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
