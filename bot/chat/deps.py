"""The chat layer's dependencies (:class:`ChatDeps`): what every channel shares — settings, store, knowledge,
policy, telemetry sources, the tool registry, one checkpointer, the investigation worker pool and metrics —
built once at start-up by :func:`build_deps`. (Named apart from "services", which in Andon are the services
an incident is about.) Calls routed with :meth:`ChatDeps.route` leave the pool: ``andon serve`` hands
investigations to its worker process so."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from bot.chat.metrics import Metrics
from bot.chat.workspace import Workspace
from bot.checkpoints import open_checkpointer
from bot.policy import Policy, load_policy
from bot.runtime import Investigator, fixture_sources, live_sources, open_knowledge
from bot.settings import Settings
from bot.store.incidents import IncidentStore, open_store
from tools import ToolRegistry, default_registry
from tools.sources import Sources

__all__ = ["ChatDeps", "build_deps", "QueuedExecutor", "ChartStyle"]

T = TypeVar("T")
ChartStyle = Literal["images", "sparklines", "off"]
"""How a front end shows the evidence's series: PNG charts after the RCA card (Slack), sparklines on its
evidence lines (a terminal), or not at all (``ANDON_CHARTS=false``)."""
log = logging.getLogger(__name__)


class QueuedExecutor(Executor):
    """Queues work until :meth:`run_pending` runs it in the caller's thread — for the console, where a
    command's acknowledgement should print before the work it started."""

    def __init__(self) -> None:
        self._queue: deque[tuple[Future[Any], Callable[[], Any]]] = deque()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        self._queue.append((future, lambda: fn(*args, **kwargs)))
        return future

    def run_pending(self) -> None:
        """Run queued work, including work that queued work queues."""
        while self._queue:
            future, work = self._queue.popleft()
            try:
                future.set_result(work())
            except Exception as exc:
                future.set_exception(exc)


@dataclass
class ChatDeps:
    """The dependencies of the chat logic, one set per process (a container, not a service)."""

    settings: Settings
    store: IncidentStore
    workspace: Workspace
    policy: Policy
    sources: Sources
    kb: Any
    registry: ToolRegistry
    checkpointer: Any
    executor: Executor
    clock: Callable[[], float] = time.time
    """The time investigations judge "now" at (a fixture's replay time, or the real clock)."""
    metrics: Metrics = field(default_factory=Metrics)
    verify_wait_s: float = 0.0
    charts: ChartStyle = "images"
    """How this front end shows the evidence's series after an investigation."""
    _routes: list[tuple[Callable[..., Any], Callable[[tuple[Any, ...]], None]]] = field(
        default_factory=list, repr=False
    )
    _reader: Investigator | None = field(default=None, repr=False)
    _reader_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    def investigator(self, progress: Callable[[str, dict[str, Any]], None] | None = None) -> Investigator:
        """A graph runner for one start or resume, sharing the durable checkpointer."""
        return Investigator(
            self.settings,
            self.sources,
            kb=self.kb,
            store=self.store,
            policy=self.policy,
            registry=self.registry,
            approval_mode="interactive",
            clock=self.clock,
            checkpointer=self.checkpointer,
            progress=progress,
            verify_wait_s=self.verify_wait_s,
        )

    def pending(self, incident_id: str) -> list[dict[str, Any]]:
        """The proposals a paused investigation waits on, read by one graph runner built once (building one
        compiles the graph: 0.1 s of CPU that a click's or a command's acknowledgement would wait for)."""
        return self.reader().pending(incident_id)

    def reader(self) -> Investigator:
        """The graph runner :meth:`pending` reads with, built at the first call (``andon serve`` calls this
        at start-up on the pool, so no acknowledgement waits for it)."""
        with self._reader_lock:
            if self._reader is None:
                self._reader = self.investigator()
            return self._reader

    def route(self, fn: Callable[..., Any], to: Callable[[tuple[Any, ...]], None]) -> None:
        """From now on, :meth:`submit` hands the arguments of calls of ``fn`` (a bound method, compared by
        equality) to ``to`` (which writes them as a job for the worker process) instead of the pool."""
        self._routes.append((fn, to))

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn`` on the worker pool (or where :meth:`route` sends it); failures are logged, never lost
        silently."""
        to = next((to for routed, to in self._routes if routed == fn), None)
        if to is not None:
            to(args)  # written before the caller goes on: a failure here is the caller's to see
            return

        def guarded() -> None:
            try:
                fn(*args)
            except Exception:
                log.exception("background work failed: %s", getattr(fn, "__name__", fn))

        try:
            self.executor.submit(guarded)
        except RuntimeError:  # the pool refuses new work once shut down
            if not self._stopping.is_set():
                raise
            log.info("stopping: %s not started", getattr(fn, "__name__", fn))

    def stop(self, wait: bool = False) -> None:
        """Start no more work: queued work is cancelled, work already running finishes (waited for with
        ``wait``), and what it submits from now on is dropped with a line in the log, not a traceback (an
        alert whose investigation never started is picked up at the next start)."""
        self._stopping.set()
        self.executor.shutdown(wait=wait, cancel_futures=True)


INTERRUPTED_AFTER_S = 600.0
"""An action still 'running' this long after it started belongs to a process that died (actuators time out sooner)."""


NO_TELEMETRY = (
    "degraded mode: no telemetry source (set ANDON_PROMETHEUS_URL, or pass --telemetry FIXTURE.yaml): "
    "/andon help, runbook, incidents and status answer; investigations are inconclusive"
)


def build_deps(
    settings: Settings,
    workspace: Workspace,
    telemetry: Path | None = None,
    kb: Any = None,
    registry: ToolRegistry | None = None,
    executor: Executor | None = None,
    policy: Policy | None = None,
    workers: int = 4,
    charts: ChartStyle = "images",
) -> ChatDeps:
    """Everything the channels need. ``telemetry`` replays a fixture instead of live backends; ``charts``
    is how this front end shows the evidence's series (off when ``settings.charts`` is false)."""
    clock: Callable[[], float] = time.time
    if telemetry is not None:
        sources, judged_at = fixture_sources(telemetry)
        clock = lambda: judged_at  # noqa: E731
    elif settings.prometheus_url:
        sources = live_sources(settings)
    else:  # degraded, and says so: commands answer, investigations find nothing to read and say so
        log.warning(NO_TELEMETRY)
        sources = Sources()
    store = open_store(settings.database_url, settings.data_dir, synchronous=settings.sqlite_synchronous)
    store.mark_interrupted(older_than=INTERRUPTED_AFTER_S)  # a crash mid-action is reported, never re-run
    return ChatDeps(
        settings=settings,
        store=store,
        workspace=workspace,
        policy=policy or load_policy(settings.policy_file),
        sources=sources,
        kb=kb if kb is not None else open_knowledge(settings),
        registry=registry or default_registry(),
        checkpointer=open_checkpointer(settings.database_url, settings.data_dir),
        executor=executor or ThreadPoolExecutor(max_workers=workers, thread_name_prefix="andon-work"),
        clock=clock,
        verify_wait_s=0.0 if telemetry is not None else 30.0,
        charts=charts if settings.charts else "off",
    )
