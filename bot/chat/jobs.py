"""Durable work for slash commands: what a command accepted is written to the store before Slack is
answered, run on the worker pool under a renewed claim, and marked started and done. After a crash (its
claim no longer renewed) a sweep runs a job that never started, and reports one that started and was cut
off, instead of running it again: Slack has no idempotent post, so a re-run could create a channel or post
a thread twice. Like an interrupted action, interrupted work is said, never silently repeated.

Jobs can also be run by another process (``run_elsewhere``): the accepting process only writes them, and the
worker process (``bot.slack.worker``) claims the unstarted ones with the same claim and runs them."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from bot.chat.deps import ChatDeps
from bot.store.leases import held

__all__ = ["Jobs", "JOB_LEASE_S", "RESPONSE_URL_VALID_S"]

log = logging.getLogger(__name__)

JOB_LEASE_S = 30.0
"""A job whose claim was not renewed for this long died with its process (renewed every 10 s)."""
RESPONSE_URL_VALID_S = 1800.0
"""Slack's ``response_url`` works for 30 minutes: older unfinished work has no one left to answer."""
JOBS_KEPT_S = 86400.0
"""Finished jobs are kept a day (to look into a report of a lost command), then dropped."""

Work = Callable[[dict[str, Any], Any], None]
"""A job's work: its payload (plain JSON) and, when it runs in the process that accepted it, that process's
live context (such as the way to answer the person); after a restart the context is None."""


class Jobs:
    def __init__(self, deps: ChatDeps, interrupted: Callable[[dict[str, Any]], None] | None = None) -> None:
        """``interrupted`` tells the person that the work a crash cut off midway may have partly run."""
        self.deps = deps
        self._kinds: dict[str, Work] = {}
        self._interrupted = interrupted
        self._wake: Callable[[], None] | None = None

    def register(self, kind: str, work: Work) -> None:
        """``work`` does the job (see :data:`Work`); it must tolerate a re-run."""
        self._kinds[kind] = work

    def run_elsewhere(self, wake: Callable[[], None]) -> None:
        """From now on, accepted jobs are only written, then ``wake`` tells the worker process to look for
        them: it claims and runs them (see :meth:`unstarted` and :meth:`run`)."""
        self._wake = wake

    @property
    def elsewhere(self) -> bool:
        """True once accepted jobs are run by another process (:meth:`run_elsewhere`)."""
        return self._wake is not None

    def accept(self, kind: str, payload: dict[str, Any], context: Any = None) -> str:
        """Write the job (before the caller answers Slack), then queue it once the write is committed.
        Returns its id."""
        if kind not in self._kinds:
            raise KeyError(f"no such job kind: {kind}")
        job_id = f"{kind}:{uuid.uuid4().hex}"
        self.deps.store.add_job(job_id, kind, payload)
        if self._wake is not None:  # once it is committed (a group commit's is after this returns)
            self.deps.store.after_commit(self._wake)
        else:
            self.deps.store.after_commit(lambda: self.deps.submit(self._run, job_id, kind, payload, context))
        return job_id

    def unstarted(self, since: float | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Jobs of the kinds registered here that nobody has started, accepted since ``since`` (by default
        within the time their ``response_url`` stays valid), oldest first."""
        since = time.time() - RESPONSE_URL_VALID_S if since is None else since
        return self.deps.store.open_jobs(since=since, limit=limit, unstarted=True, kinds=sorted(self._kinds))

    def run(self, job: dict[str, Any]) -> bool:
        """Claim one job read from the store (see :meth:`unstarted`) and run it here; False when another
        holder has it (another worker, process or replica) or it is finished."""
        return self._run(job["id"], job["kind"], job["payload"])

    def _run(self, job_id: str, kind: str, payload: dict[str, Any], context: Any = None) -> bool:
        store = self.deps.store
        if not store.claim(f"job:{job_id}", JOB_LEASE_S):
            return False  # running elsewhere
        with held(store, f"job:{job_id}", JOB_LEASE_S):
            if not store.start_job(job_id):
                return False  # started before: by a holder whose claim lapsed, so it is recovery's to report
            try:
                self._kinds[kind](payload, context)
            finally:  # a job that failed is reported by its work, not retried forever
                store.finish_job(job_id)
        return True

    def _report_interrupted(self, job: dict[str, Any]) -> bool:
        store = self.deps.store
        if not store.claim(f"job:{job['id']}", JOB_LEASE_S):
            return False
        store.finish_job(job["id"])
        if self._interrupted is not None:
            self._interrupted(job["payload"])
        return True

    def recover(self) -> list[str]:
        """Jobs whose holder died: run those that never started, report those cut off midway. Returns the
        ids of the jobs it ran or reported."""
        handled = []
        self.deps.store.forget_jobs(time.time() - JOBS_KEPT_S)
        for job in self.deps.store.open_jobs(since=time.time() - RESPONSE_URL_VALID_S, kinds=sorted(self._kinds)):
            if job["started"] and self._report_interrupted(job):
                log.warning("%s was cut off by a restart; reported, not re-run", job["id"])
                handled.append(job["id"])
            elif not job["started"] and self._run(job["id"], job["kind"], job["payload"]):
                log.info("ran %s after a restart", job["id"])
                handled.append(job["id"])
        return handled
