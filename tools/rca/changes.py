"""Recorded changes, and which of them could have caused the trouble.

A change feed names its kinds as it likes (``deploy``, ``configmap``, ``secret_rotation``, ``job``…).
Each change is first sorted into a family by its kind and description: a deploy, a configuration or flag
change, a credential or certificate change, a schema change, an infrastructure change, or a job that
started. A change is then *linked* to the trouble when its family can produce what was observed and its
time fits how that family acts:

- a step that began within the hour after a deploy or a config change (the nearer, the stronger);
- a trend (a slope or a level shift) that began with the change, however long ago (a leak that started
  with a release six hours back);
- authentication or TLS failures after a credential or certificate change up to a week old (keys rotate
  with grace periods, certificates expire on their own schedule);
- locks and slow queries after a schema change of the last hours.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from tools.rca.params import Params
from tools.rca.records import ChangeLink
from tools.rca.vocabulary import ACCUMULATING, classify, is_limit
from tools.sources.base import Change

__all__ = [
    "identifiers",
    "link_stops",
    "stops",
    "family_of",
    "to_links",
    "link_changes",
    "Symptoms",
    "CHECK_FAMILIES",
    "AUTH_WORDS",
    "TLS_WORDS",
    "refused_credentials",
    "reasons_of",
    "refused_over_reason",
]

_FAMILIES: list[tuple[str, re.Pattern[str]]] = [
    ("certificate", re.compile(r"(?i)\bcert(ificate)?s?\b|tls|ssl|x509")),
    (
        "credential",
        re.compile(
            r"(?i)secret|credential|password|passwd|api[ _-]?key|access[ _-]?key|token|"
            r"rotat|revok"
        ),
    ),
    ("schema", re.compile(r"(?i)migrat|schema|ddl|alter table|index|vacuum")),
    ("job", re.compile(r"(?i)\bjob\b|cron|batch|backfill|campaign|export|reindex")),
    ("deploy", re.compile(r"(?i)deploy|release|rollout|image|version|canary")),
    ("config", re.compile(r"(?i)config|flag|setting|values|env|parameter|feature|toggle|limit|ttl")),
    ("infra", re.compile(r"(?i)infra|node|network|dns|kernel|upgrade|cluster|zone|firewall|mtu|provider|status")),
]
_KIND_FAMILY = {
    "deploy": "deploy",
    "release": "deploy",
    "rollout": "deploy",
    "config": "config",
    "configmap": "config",
    "flag": "config",
    "feature_flag": "config",
    "migration": "schema",
    "schema": "schema",
    "infra": "infra",
    "job": "job",
    "cronjob": "job",
    "secret": "credential",
    "secret_rotation": "credential",
    "credential": "credential",
    "certificate": "certificate",
}

CHECK_FAMILIES = {
    "deploy": {"deploy"},
    "config": {"config"},
    "flag": {"config"},
    "migration": {"schema"},
    "infra": {"infra"},
    "credential": {"credential"},
    "certificate": {"certificate"},
    "job": {"job"},
    "any": {"deploy", "config", "schema", "infra", "credential", "certificate", "job"},
}
"""Which change families a runbook check's ``change:`` kind accepts."""

AUTH_WORDS = re.compile(
    r"(?i)(?<![=.\d])\b(401|403)\b|(status|code)[=:]\s*40[13]\b|unauthori[sz]ed|forbidden|authenticat\w* fail|"
    r"invalid[ _-]?(api[ _-]?)?"
    r"(key|token|credential|password)|expired[ _-]?(api[ _-]?)?(key|token|credential|password)|"
    r"access ?denied|password authentication|invalidaccesskeyid|signature ?does ?not ?match|"
    r"permission denied|not authori[sz]ed|remote error: tls: \w+ certificate|"
    r"certificate (expired|revoked|unknown) alert"
)
"""What authentication failures look like in logs and metric names (a server rejecting the client
certificate we present is one: "remote error: tls: expired certificate" is the peer's alert about ours). A
401 that is a field's value (``empty_acquire_count=401``) is a number, not a status, unless the field is one."""
TIME_REFUSED = re.compile(
    r"(?i)request ?time ?too ?skewed|not yet valid|used before issued|issued (at )?in the future|"
    r"clock skew"
)
"""A refusal over time, not credentials (a signed request dated in the future, a token not valid yet): its 403
says the clock is off, not that a key changed."""


RATE_REFUSED = re.compile(
    r"(?i)too many requests|\brate[ _-]?limit(ed)? (exceeded|reached|hit)|\bapi rate limit|"
    r"secondary rate limit|quota (exceeded|exhausted)|exceeded .{0,40}quota|"
    r"x-ratelimit-remaining[=: ]+0\b|\bthrottl(ed|ing)\b"
)
"""A refusal over rate, not credentials: GitHub answers "403 Forbidden: API rate limit exceeded"."""
AUTH_STATUS = re.compile(r"(?i)\b(401|403)\b|\bforbidden\b|\bunauthori[sz]ed\b")
"""The bare status of a refusal, which says that a request was refused, not why."""


def refused_over_reason(texts: list[str]) -> bool:
    """Some of the failures say the refusals are over rate or time."""
    return any(RATE_REFUSED.search(t) or TIME_REFUSED.search(t) for t in texts)


def reasons_of(texts: list[str], over_reason: bool | None = None) -> list[str]:
    """Failure texts read for why they failed: when the service's failures say its refusals are over rate or
    time (``over_reason``, read from ``texts`` unless given), the bare statuses in all of them (a "403
    Forbidden" with no reason) are those refusals, not a credential's."""
    if refused_over_reason(texts) if over_reason is None else over_reason:
        return [AUTH_STATUS.sub("<refused>", t) for t in texts]
    return texts


def refused_credentials(texts: list[str], said: list[str] | None = None) -> bool:
    """Failures that say credentials were refused; none when the service's failures say the refusal is over
    time (then its bare 403s are those refusals too), and only refusals that name a credential when they
    say the refusals are over rate. ``said`` is everything else its logs said (a warning may give the
    reason its error lines leave out)."""
    reasons = [*texts, *(said or [])]
    return any(AUTH_WORDS.search(t) for t in reasons_of(texts, refused_over_reason(reasons))) and not any(
        TIME_REFUSED.search(t) for t in reasons
    )


TLS_WORDS = re.compile(r"(?i)x509|certificate|handshake|tls|ssl")
"""What TLS and certificate failures look like."""

_SLOW_FAMILIES = frozenset({"infra", "schema"})
"""Families whose effect may take hours to show (a migration working through a table, a network change)."""


def family_of(change: Change) -> str:
    """The family of a change: its kind when the feed uses a known word, else what its kind and text say."""
    kind = change.kind.lower().replace("-", "_")
    if _sets_workload(change) and (
        _KIND_FAMILY.get(kind) == "infra" or kind not in _KIND_FAMILY and not change.version
    ):
        return "config"
    if _KIND_FAMILY.get(kind) == "credential" and _reshapes(change):
        return "config"
    if kind in _KIND_FAMILY and not (kind == "config" and _says_credential(change)):
        return _KIND_FAMILY[kind]
    text = f"{change.kind} {change.description} {change.flag}"
    for family, pattern in _FAMILIES:
        if pattern.search(text):
            return family
    return "config" if change.flag else "deploy" if change.version else "infra"


def _sets_workload(change: Change) -> bool:
    """A change that sets a workload's replicas, resources or autoscaling (``kubectl scale``, a limit, an
    HPA bound) is configuration, whatever the feed files it under: the workload runs as told."""
    return bool(
        re.search(
            r"(?i)\bscale[ds]?\b|--replicas|\breplicas\b|\b(cpu|memory) (limit|request)s?\b|"
            r"\bresources\.(limits|requests)|\b(hpa|autoscal\w*)\b.{0,40}\b(min|max)",
            change.description,
        )
    )


STOPS = re.compile(
    r"(?i)\breplicas\b.{0,20}(->|→|to)\s*0\b|\bscaled? (down )?to (0|zero)\b|\bsuspend(ed)?\b|"
    r"\bpaused?\b|\bdisabled?\b|\bstopped\b"
)
"""A change that stops a workload: scaled to zero, suspended, paused, disabled."""


def stops(link: ChangeLink) -> bool:
    return bool(STOPS.search(f"{link.kind} {link.description}"))


def _slowed(link: ChangeLink, symptoms: dict[str, Symptoms], match_s: float) -> bool:
    """The changed workload's own throughput fell, not before the change (a consumer's prefetch cut to one,
    its concurrency lowered): it drains less, as a stopped one drains nothing. (A quiet series is dated at
    the window's onset, not at its step; the pile's climb, dated, ties the change in time.)"""
    seen = symptoms.get(link.service)
    return seen is not None and seen.drained_less_at is not None and seen.drained_less_at >= link.ts - match_s


def link_stops(links: list[ChangeLink], symptoms: dict[str, Symptoms], params: Params, step_s: float) -> dict[str, str]:
    """A workload that stopped (scaled to zero, suspended) drains nothing any more, and one whose throughput
    fell with its change drains less: what it used to drain piles up elsewhere (a retained WAL, a queue, a
    spool on disk). Such a change is tied to another service's accumulating resource that began to climb
    with it; returns {that service: the stopped or slowed one}."""
    match_s = max(params.change_match_s, 3 * step_s)
    piled: dict[str, str] = {}
    for link in links:
        if not (stops(link) or _slowed(link, symptoms, match_s)):
            continue  # (a change its own trouble already ties may still be what made another's pile climb)
        for service, seen in symptoms.items():
            if service == link.service or service in piled:
                continue
            climbing = [
                m
                for m, began, spacing in seen.trend_starts
                if abs(began - link.ts) <= max(match_s, 3 * spacing) and classify(m).kind in ACCUMULATING
            ]
            if climbing:
                how = "stopped" if stops(link) else "drained less"
                link.linked = (
                    f"{climbing[0]} of {service} began to climb when it {how}, "
                    f"{_ago(link.minutes_before_onset)} before the onset"
                )
                link.link_strength = 1.0
                piled[service] = link.service
    return piled


def _reshapes(change: Change) -> bool:
    """A secret edit that adds, removes or renames keys changes what the workload is configured with, not
    a credential's value: configuration."""
    return bool(
        re.search(
            r"(?i)\bkeys?\b.{0,60}\b(removed|added|renamed|deleted|dropped)\b|"
            r"\b(removed|added|renamed|deleted|dropped)\b.{0,30}\bkeys?\b",
            change.description,
        )
    )


IDENTIFIER = re.compile(r"(?<![\w.-])[A-Za-z][\w-]*[_.][\w.-]*[A-Za-z0-9](?![\w])")
"""A name a change sets and a failure may quote: a setting key, an env var, a dotted property, a secret
key (``SMTP_PASSWORD``, ``ratelimit.enterprise.rps``): it has an underscore or a dot inside."""
IDENTIFIER_MIN = 6
"""Shorter names (``a.b``, ``x_y``) are too common to tie a failure to a change."""


ORDINAL = re.compile(r"^[A-Za-z][A-Za-z0-9-]*[_.][\d_.-]*$")
"""A name whose parts after the first separator are only numbers (``tail.0``, ``worker_1``, ``http.0``) says
which copy of something it is, not what was set: every line about that copy quotes it."""


def identifiers(text: str) -> set[str]:
    """The distinctive names in ``text`` (see ``IDENTIFIER``), without versions, addresses and ordinals."""
    return {
        m
        for m in IDENTIFIER.findall(text)
        if len(m) >= IDENTIFIER_MIN and not re.fullmatch(r"[\d.v-]+", m) and not ORDINAL.match(m)
    }


def _says_credential(change: Change) -> bool:
    """A config change that rotates a secret or a key is a credential change."""
    return bool(
        re.search(
            r"(?i)rotat\w* .{0,40}(key|secret|password|token|credential)|"
            r"(key|secret|password|token|credential)s? .{0,20}(rotat|revok|deactivat|expir)",
            change.description,
        )
    )


def to_links(changes: list[Change], onset: float, suspects: set[str], params: Params) -> list[ChangeLink]:
    """The changes up to ``change_lookback_s`` before the onset (and just after it), newest-first by
    closeness; a change on a suspected service ranks higher."""
    out = []
    for change in changes:
        delta = onset - change.ts
        if delta > params.change_lookback_s or delta < -params.change_after_onset_s:
            continue
        closeness = math.exp(-max(delta, 0.0) / params.change_decay_s)
        score = closeness * (params.suspect_change_weight if change.service in suspects else 1.0)
        out.append(
            ChangeLink(
                service=change.service,
                kind=change.kind,
                family=family_of(change),
                ts=change.ts,
                minutes_before_onset=round(delta / 60.0, 1),
                score=round(score, 4),
                description=change.description,
                version=change.version,
                previous_version=change.previous_version,
                flag=change.flag,
                author=change.author,
            )
        )
    out.sort(key=lambda c: c.score, reverse=True)
    return out


@dataclass
class Symptoms:
    """What one service showed, as far as linking changes needs to know."""

    onset: float | None
    """When its trouble started (its earliest strong shift)."""
    trend_starts: list[tuple[str, float, float]]
    """(metric, when, the sample spacing it was dated at) for each trend that began before the window's
    change point: a start read from the long past at a coarse step is known only to a few of its steps."""
    auth_failures: bool = False
    tls_failures: bool = False
    failure_names: frozenset[str] = frozenset()
    """The distinctive names (``identifiers``) its new or spiking error logs quote."""
    db_trouble: bool = False
    """Lock waits, slow queries, pool waits."""
    drained_less_at: float | None = None
    """When its own throughput (the requests or messages it handles) fell by ``drain_drop_share`` or more
    (a quiet series is dated at the window's onset)."""


def link_changes(links: list[ChangeLink], symptoms: dict[str, Symptoms], params: Params, step_s: float) -> None:
    """Fill in ``linked`` for every change whose family and timing fit what its service showed."""
    match_s = max(params.change_match_s, 3 * step_s)
    for link in links:
        seen = symptoms.get(link.service)
        if seen is None:
            continue
        link.linked, link.link_strength = _why(link, seen, params, match_s)


def _why(link: ChangeLink, seen: Symptoms, params: Params, match_s: float) -> tuple[str, float]:
    for metric, began, spacing in seen.trend_starts:
        if abs(began - link.ts) <= max(match_s, 3 * spacing):
            moved = "changed" if is_limit(metric) else "began to trend"  # a limit is set, not grown
            return f"{metric} {moved} with it, {_ago(link.minutes_before_onset)} before the onset", 1.0
    quoted = sorted(identifiers(f"{link.description} {link.flag}") & seen.failure_names)
    if quoted:
        return (
            f"its failures quote {quoted[0]}, which it changed {_ago(link.minutes_before_onset)} before the onset",
            params.named_link_strength,
        )
    if link.family == "credential" and seen.auth_failures:
        return (
            f"authentication failures followed a credential change {_ago(link.minutes_before_onset)} earlier",
            params.credential_link_strength,
        )
    if link.family == "certificate" and (seen.tls_failures or seen.auth_failures):
        return (
            f"TLS failures followed a certificate change {_ago(link.minutes_before_onset)} earlier",
            params.credential_link_strength,
        )
    if seen.onset is None or (link.family == "schema" and not seen.db_trouble):
        return "", 0.0
    lag = seen.onset - link.ts
    window = params.change_slow_window_s if link.family in _SLOW_FAMILIES else params.change_step_window_s
    if -params.change_after_onset_s <= lag <= window:
        decay = params.change_slow_window_s if link.family in _SLOW_FAMILIES else params.change_decay_s
        return f"the trouble began {_ago(lag / 60.0)} after it", math.exp(-max(lag, 0.0) / decay)
    return "", 0.0


def _ago(minutes: float) -> str:
    minutes = max(minutes, 0.0)
    if minutes >= 48 * 60:
        return f"{minutes / 1440:.0f} d"
    if minutes >= 120:
        return f"{minutes / 60:.1f} h"
    return f"{minutes:.0f} min"
