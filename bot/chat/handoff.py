"""The work ``andon serve`` hands from its serving process to its worker process (``bot.slack.worker``).

An investigation and an answer to a question in a thread — the CPU-heavy calls — are written to the store
as jobs where the serving process would have queued them on its own pool, and so are chat messages (the
desk's) and the slash commands' jobs; the worker process claims them with the store's claims and runs them with the
same code. One table
(:func:`handed_off`) names the calls, so both sides agree on the job kinds."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.chat.desk import Desk
from bot.chat.jobs import Jobs, Work

__all__ = ["handed_off", "call_jobs", "send_to_worker", "JobPoller"]

log = logging.getLogger(__name__)


def handed_off(desk: Desk) -> dict[str, Callable[..., None]]:
    """The calls that leave the serving process, by job kind; their arguments are plain JSON. (A decision's
    resumption stays: it runs under a claim the click took, which a queued job could outlive.)"""
    return {"call:investigate": desk.conversations.investigate, "call:answer": desk.conversations.answer}


def call_jobs(desk: Desk) -> Jobs:
    """A job queue whose kinds are the handed-off calls: running a job makes the call with its arguments.

    Unlike a slash command's job, a call is not replayed after ``andon serve`` restarts — it was in memory
    before there was a worker process, and the restart's own recovery (the alert intake's) resumes what it
    owns: the worker runs the calls written since its serving process started."""
    jobs = Jobs(desk.deps)
    for kind, call in handed_off(desk).items():
        jobs.register(kind, _making(call))
    return jobs


def send_to_worker(desk: Desk, wake: Callable[[], None]) -> None:
    """The serving process's side: the handed-off calls, chat messages and the slash commands' jobs are only
    written to the store, then ``wake`` tells the worker process to look. (The worker process does the same
    with its own desk, so the investigation a message opens is a job its poller runs.)"""
    calls = call_jobs(desk)
    for kind, call in handed_off(desk).items():
        desk.deps.route(call, _writing(calls, kind))
    calls.run_elsewhere(wake)
    desk.commands.jobs.run_elsewhere(wake)
    desk.messages.run_elsewhere(wake)


def _making(call: Callable[..., None]) -> Work:
    def run(payload: dict[str, Any], context: Any) -> None:
        call(*payload["args"])

    return run


def _writing(jobs: Jobs, kind: str) -> Callable[[tuple[Any, ...]], None]:
    def write(args: tuple[Any, ...]) -> None:
        jobs.accept(kind, {"args": list(args)})

    return write


class JobPoller:
    """The worker process's side: claims unstarted jobs of its queues (each a :class:`Jobs` and the time
    its jobs count from, None for the default) and runs them on ``slots`` threads of its own. It takes no
    more than it has free threads: a job waiting in a queue would hold no renewed claim."""

    def __init__(
        self, queues: list[tuple[Jobs, float | None]], slots: int, ran: Callable[[], None] = lambda: None
    ) -> None:
        """``ran`` is called after each job this poller ran (a thread is free: time to look again)."""
        self._queues = queues
        self._slots = slots
        self._ran = ran
        self._pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="andon-job")
        self._running: set[str] = set()
        self._lock = threading.Lock()

    def poll(self) -> int:
        """Start what there is room for; returns how many jobs it started."""
        started = 0
        for jobs, since in self._queues:
            with self._lock:
                room = self._slots - len(self._running)
                known = len(self._running)
            if room <= 0:
                break
            for job in jobs.unstarted(since, limit=room + known):
                with self._lock:
                    if job["id"] in self._running:
                        continue
                    if len(self._running) >= self._slots:
                        return started
                    self._running.add(job["id"])
                self._pool.submit(self._run, jobs, job)
                started += 1
        return started

    def _run(self, jobs: Jobs, job: dict[str, Any]) -> None:
        ran = False
        try:
            ran = jobs.run(job)
        except Exception:
            log.exception("job %s failed", job["id"])
            ran = True
        finally:
            with self._lock:
                self._running.discard(job["id"])
        if ran:  # a claim another holder kept is not worth looking again at once
            self._ran()

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
