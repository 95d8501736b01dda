"""Shared components named by the job they fail at: a fault inside a DNS server or a cache server (its
memory, its CPU, its node, its config) reaches everyone else as DNS or cache failing, so that is the
fault to name; what broke it stays in the finding as the detail.

A component's role comes from ``categories.yaml`` (``role``): words in its service name, or the metric
prefix of the exporter it runs (``coredns_``, ``redis_``)."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

from knowledge.taxonomy import roles, sides
from tools.rca.evidence import Evidence
from tools.rca.params import Params

if TYPE_CHECKING:
    from tools.rca.explain import Fit

__all__ = ["role_of", "name_by_role", "is_datastore"]


@cache
def _patterns() -> list[tuple[str, re.Pattern[str], re.Pattern[str]]]:
    return [
        (category, re.compile(names, re.IGNORECASE), re.compile(metrics))
        for category, (names, metrics) in roles().items()
    ]


def _own_metrics(service: str, evidence: Evidence) -> list[str]:
    """The metrics ``service`` exports about itself: a series labelled with the ``upstream`` it calls
    (``redis_commands_per_second{upstream="shared-redis"}``) is its client's view of another component."""
    return [
        s.metric
        for s in evidence.series(service)
        if s.service == service and not (s.labels.get("upstream") or s.labels.get("dependency"))
    ]


def role_of(service: str, evidence: Evidence) -> str | None:
    """The category of the shared component ``service`` is, if it is one."""
    metrics = _own_metrics(service, evidence)
    for category, names, prefixes in _patterns():
        if names.search(service) or any(prefixes.search(m) for m in metrics):
            return category
    return None


_DATASTORE_NAME = re.compile(
    r"(?i)(^|[-_.])(db|database|postgres(ql)?|pg|mysql|mariadb|mongo(db)?|cassandra|redis|"
    r"memcached?|cache|elasticsearch|opensearch|kafka|rabbitmq|zookeeper|etcd)([-_.0-9]|$)"
)
_DATASTORE_METRICS = re.compile(
    r"^(pg|postgres|mysql|mongodb|redis|memcached|cassandra|elasticsearch|kafka|"
    r"rabbitmq|etcd)_"
)


def is_datastore(service: str, evidence: Evidence) -> bool:
    """The service keeps state others share (a database, a cache, a broker): its name says so, or its
    exporter's metric prefix does."""
    metrics = _own_metrics(service, evidence)
    return bool(_DATASTORE_NAME.search(service)) or any(_DATASTORE_METRICS.search(m) for m in metrics)


def name_by_role(service: str, fits: dict[str, Fit], evidence: Evidence, params: Params) -> None:
    """On a shared component, the role's failure takes the best fit of any fault of its own (keeping that
    fault's checks as its clues); the fault itself keeps ``role_cause_share`` of its fit. Faults named on
    the caller (``side: client``) and false alarms are left as they are."""
    category = role_of(service, evidence)
    if category is None:
        return
    client_side = {c for c, side in sides().items() if side == "client"}
    own = [f for c, f in fits.items() if c not in client_side and c not in (category, "no_fault") and f.score > 0]
    cause = max(own, key=lambda f: f.score, default=None)
    current = fits.get(category)
    if cause is None or (current is not None and current.score >= cause.score):
        return
    runbook = current.runbook if current is not None and current.score > 0 else cause.runbook
    fits[category] = replace(cause, category=category, runbook=runbook)
    for fitted in own:
        fits[fitted.category] = replace(fitted, score=fitted.score * params.role_cause_share)
