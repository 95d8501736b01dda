"""Job runs that Kubernetes records and a change feed may not: a CronJob that fired, a Job that started
its pod. A run is a change like a deploy: the trouble that follows it may be the work it does."""

from __future__ import annotations

import re

from tools.rca.records import ChangeLink, KubeEvent

__all__ = ["job_started", "job_runs"]

_JOB_CREATED = re.compile(r"(?i)\bcreated job:? (\S+)")
"""The message the CronJob controller records when a schedule fires (`SuccessfulCreate`)."""
_JOB_OWNER = re.compile(r"(?i)^(?:job(?:\.batch)?/|job )([^\s:]+)")
"""A Job named as the event's object (``job/reindex-29123``) or at the head of its message (``Job x: …``)."""


def job_started(event: KubeEvent) -> str | None:
    """The job a Kubernetes event says began to run, else None: a CronJob that fired ("Created job
    reindex-29123") or a Job whose controller created its pod (`SuccessfulCreate` of a ``Job/…``)."""
    created = _JOB_CREATED.search(event.message)
    if created:
        return created.group(1)
    if event.reason != "SuccessfulCreate":
        return None
    owner = _JOB_OWNER.search(event.object) or _JOB_OWNER.search(event.message)
    return owner.group(1) if owner else None


def job_runs(events: list[KubeEvent], known: list[ChangeLink], onset: float | None) -> list[ChangeLink]:
    """Job runs the Kubernetes events record (a CronJob that fired creates a Job) and the change feed does
    not: a run is a change like a deploy, and the trouble that follows it may be the work it does."""
    out: list[ChangeLink] = []
    for event in events:
        job = job_started(event)
        if not job or not event.service:
            continue
        if any(c.service == event.service and c.family == "job" and abs(c.ts - event.ts) < 60 for c in known + out):
            continue
        before = (onset - event.ts) / 60.0 if onset is not None else 0.0
        out.append(
            ChangeLink(
                service=event.service,
                kind="job",
                family="job",
                ts=event.ts,
                minutes_before_onset=round(before, 1),
                description=f"job {job} created",
            )
        )
    return out
