"""``andon serve``'s worker process: investigations, chat messages (opening incidents, answering in their
threads) and slash-command work run here, apart from the process that answers Slack, so they never hold that
process's interpreter while an acknowledgement waits.

The serving process writes jobs to the store (``bot.chat.handoff``). :func:`work`, the worker process's
entry point, builds its own chat dependencies over the same store, claims those jobs with the store's claims, runs
them and posts to Slack itself, and runs the recovery sweep. :class:`WorkerProcess`, in the serving process,
starts it, starts another when it dies (one log line) and terminates it on stop: what it cut off is taken
over through the leases, as after any crash."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import Settings

__all__ = ["WorkerProcess", "WorkerSpec", "work", "POLL_S", "JOB_THREADS", "NICENESS"]

log = logging.getLogger(__name__)

POLL_S = 1.0
"""How often the worker looks for jobs nobody woke it for (another replica's, or one whose claim lapsed)."""
JOB_THREADS = 4
"""Jobs the worker process runs at once (the investigation pool's size before there was a worker process)."""
RESTART_DELAY_S = (1.0, 30.0)
"""The wait before starting another worker after one died young, doubled while they keep dying young."""
YOUNG_S = 10.0
"""A worker that dies sooner than this after its start died young (a start-up fault, not a one-off crash)."""
READY_WITHIN_S = 120.0
"""How long ``serve`` waits for its first worker process to be ready before it serves anyway (and says so)."""
STOP_S = 1.0
"""How long a terminated worker gets to leave before it is killed."""
NICENESS = 10
"""How much lower the worker's CPU priority is than the serving process's: on a busy machine (two cores, an
investigation per core) the process that acknowledges Slack within its 3 s gets the CPU first."""
METRICS_EVERY_S = 2.0
"""How often the worker writes its metrics for the serving process's ``/metrics``."""


class Doorbell:
    """A wake-up from one process to another that a dead listener cannot jam: a pipe whose ringing end
    never blocks (a full pipe rings already). A ``multiprocessing.Event`` would not do: setting one waits for
    its sleepers to acknowledge, so a worker killed while waiting would hang the next acknowledgement."""

    def __init__(self, context: Any) -> None:
        self._listening, self._ringing = context.Pipe(duplex=False)
        os.set_blocking(self._ringing.fileno(), False)

    def ring(self) -> None:
        with contextlib.suppress(BlockingIOError, BrokenPipeError):
            os.write(self._ringing.fileno(), b"!")

    def wait(self, timeout_s: float) -> bool:
        """Wait until it rang (True, and the rings so far are taken) or ``timeout_s`` passed (False)."""
        if not self._listening.poll(timeout_s):
            return False
        with contextlib.suppress(BlockingIOError):
            os.read(self._listening.fileno(), 65536)
        return True


@dataclass(frozen=True)
class WorkerSpec:
    """What the worker process is started with (it crosses the process boundary by pickle)."""

    settings: Settings
    telemetry: Path | None
    serving_since: float
    """When the serving process started: the handed-off calls it wrote since then are the worker's to run."""
    parent_pid: int
    metrics_file: Path
    """Where the worker writes its metrics' exposition, for the serving process's ``/metrics``."""
    threads: int = JOB_THREADS


class WorkerProcess:
    """The serving process's handle on its worker process."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self._context = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or locks forked
        self._wake = Doorbell(self._context)
        self._ready = Doorbell(self._context)
        self._process: Any = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None
        self.started = 0
        """How many worker processes were started (restarts included)."""

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    def wake(self) -> None:
        """Tell the worker that a job was written."""
        self._wake.ring()

    def start(self, ready_within_s: float = READY_WITHIN_S) -> bool:
        """Start the worker, and a thread that starts another whenever it dies; wait until it is ready to run
        jobs (its chat dependencies built), so the first requests do not share the CPU with its start-up. The worker is
        started from that thread, whose end (with this process) ends the worker too. False when it was not
        ready in time (it goes on starting)."""
        self._watcher = threading.Thread(target=self._watch, name="andon-worker-watch", daemon=True)
        self._watcher.start()
        return self._ready.wait(ready_within_s)

    def _spawn(self) -> Any:
        with self._lock:
            if self._stopping.is_set():
                return None
            process = self._context.Process(
                target=work, args=(self.spec, self._wake, self._ready), name="andon-worker", daemon=True
            )
            process.start()
            self._process = process
            self.started += 1
            return process

    def _watch(self) -> None:
        delay = RESTART_DELAY_S[0]
        while True:
            process = self._spawn()
            if process is None:
                return
            born = time.monotonic()
            process.join()
            if self._stopping.is_set():
                return
            log.warning(
                "the worker process (pid %s) exited with code %s; starting another", process.pid, process.exitcode
            )
            if time.monotonic() - born < YOUNG_S:
                if self._stopping.wait(delay):
                    return
                delay = min(delay * 2, RESTART_DELAY_S[1])
            else:
                delay = RESTART_DELAY_S[0]

    def stop(self) -> None:
        """Terminate the worker (killed if it has not left within ``STOP_S``); its unfinished jobs are taken
        over after a restart, through their leases. Calling it again does nothing."""
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is not None and process.is_alive():
            process.terminate()
            process.join(STOP_S)
            if process.is_alive():
                process.kill()
                process.join(STOP_S)
        self.spec.metrics_file.unlink(missing_ok=True)


def work(spec: WorkerSpec, wake: Doorbell, ready: Doorbell) -> None:
    """The worker process: run the jobs the serving process writes, and the recovery sweep, until the
    serving process stops it (SIGTERM) or dies. ``ready`` is set once it can run jobs."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: serve decides
    _die_with(spec.parent_pid)
    os.nice(NICENESS)
    from bot.chat.deps import build_deps
    from bot.chat.desk import INBOUND_WORKERS, Desk
    from bot.chat.handoff import JobPoller, call_jobs, send_to_worker
    from bot.logs import configure_logging
    from bot.slack.sweeper import RECOVERY_SWEEP_S, Sweeper
    from bot.slack.workspace import SlackWorkspace, make_web_client, response_url_answerer

    settings = spec.settings
    configure_logging(settings.log_level, settings.log_format)
    deps = build_deps(settings, SlackWorkspace(make_web_client(settings)), telemetry=spec.telemetry)
    desk = Desk(deps, responder=response_url_answerer)
    send_to_worker(desk, wake.ring)  # what its own jobs start (an opened incident's investigation) is a job too
    pollers = [
        JobPoller([(desk.commands.jobs, None), (call_jobs(desk), spec.serving_since)], spec.threads, ran=wake.ring),
        JobPoller([(desk.messages, None)], INBOUND_WORKERS, ran=wake.ring),
    ]
    """Messages have threads of their own: an incident's first reply never waits behind investigations."""
    Sweeper(deps, desk.finish_unfinished, RECOVERY_SWEEP_S)  # what a crash left undone
    threading.Thread(
        target=_write_metrics, args=(deps.metrics, spec.metrics_file), name="andon-worker-metrics", daemon=True
    ).start()
    log.info("the worker process (pid %d) is running jobs", os.getpid())
    ready.ring()
    while os.getppid() == spec.parent_pid:
        for poller in pollers:
            try:
                poller.poll()
            except Exception:  # the store did not answer: look again at the next wake-up
                log.warning("could not look for jobs", exc_info=True)
        wake.wait(POLL_S)  # takes the rings so far: a job written while it looks rings again
    os._exit(0)  # the serving process is gone (without Linux's parent-death signal)


def _write_metrics(metrics: Any, path: Path) -> None:
    from bot.slack.edge.exposition import write_exposition

    while True:
        try:
            write_exposition(metrics, path)
        except OSError:
            log.warning("could not write the worker's metrics to %s", path, exc_info=True)
        time.sleep(METRICS_EVERY_S)


def _die_with(parent_pid: int) -> None:
    """Ask Linux to kill this process when the thread that started it ends (the serving process was
    killed); elsewhere the poll loop notices the new parent instead."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:
        os._exit(0)
