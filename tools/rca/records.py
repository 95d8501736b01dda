"""The typed records the RCA engine passes between its steps, and their JSON form (tool results carry
them as plain data, so a model and the incident store can read them too)."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

__all__ = [
    "Shift",
    "ServiceRecord",
    "LogSpike",
    "ChangeLink",
    "Pod",
    "KubeEvent",
    "Node",
    "Trend",
    "Clue",
    "Finding",
    "from_data",
]

T = TypeVar("T")
UNSHOWN_LABELS = frozenset({"profile"})
"""Labels that say how a series was read (the signal profile), not where: kept in its key, not shown."""


def from_data(cls: type[T], data: Any) -> T:
    """A record from its JSON form; unknown keys are ignored, missing ones take their defaults. Lists and
    dicts are copied: the diagnosis refines its records (who propagates from whom), never the tool results
    they were read from, which are kept and read again."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(
        **{k: copy.deepcopy(v) if isinstance(v, (list, dict)) else v for k, v in (data or {}).items() if k in names}
    )


@dataclass
class Shift:
    """How one series moved at its change point."""

    key: str = ""
    service: str = ""
    metric: str = ""
    kind: str = "other"
    score: float = 0.0
    """Directed robust z-score, weighted by the signal's kind and discounted for precedent or recovery."""
    direction: str = "up"
    onset: float = 0.0
    before: float = 0.0
    after: float = 0.0
    change_pct: float = 0.0
    recovering: bool = False
    """It moved, and has come at least halfway back to its old level by now."""
    signal: str = ""
    """The canonical vocabulary name (``error_ratio``…), or "" when only the kind is known."""
    labels: dict[str, str] = field(default_factory=dict)
    """Labels beyond the name and service: ``pod``, ``node``, ``upstream``…"""
    short: bool = False
    """Read from too few points for a change-point search: a rough reading."""
    trend_start: float | None = None
    """When a steady trend began, for a slow burn (before the window's change point)."""

    def describe(self) -> str:
        arrow = "↑" if self.direction == "up" else "↓"
        shown = {k: v for k, v in self.labels.items() if k not in UNSHOWN_LABELS}
        where = f" [{', '.join(f'{k}={v}' for k, v in sorted(shown.items()))}]" if shown else ""
        return f"{self.metric}{where} {arrow} {self.before:.4g} → {self.after:.4g} (z={self.score:.1f})"


@dataclass
class ServiceRecord:
    """A service's anomaly at the onset: its shifted series and who else may explain them."""

    service: str
    score: float = 0.0
    """How anomalous the service became (its strongest series, log-scaled and summed)."""
    raw_score: float = 0.0
    """Its single strongest series."""
    fault_score: float = 0.0
    """Its strongest series of a fault kind (errors, latency, saturation…), not of load or volume."""
    onset: float | None = None
    series: list[Shift] = field(default_factory=list)
    propagated_from: list[str] = field(default_factory=list)
    """Dependencies that turned anomalous no later than it did, strongly enough to explain it."""
    load_from: list[str] = field(default_factory=list)
    """Callers whose extra load explains its anomaly."""
    waiting: bool = False
    """Its own latency rose together with the latency of the calls it makes, while none of its own resources
    worsened: it is waiting on a dependency."""
    insufficient: bool = False
    """Some of its series had too few points to read a change point: the ranking is rough."""

    def to_dict(self, shown: list[Shift] | None = None) -> dict[str, Any]:
        data = asdict(self)
        data["series"] = [asdict(s) for s in (self.series if shown is None else shown)]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServiceRecord:
        record = from_data(cls, data)
        record.series = [from_data(Shift, s) for s in data.get("series", [])]
        return record


@dataclass
class LogSpike:
    """A log template that is new or spiking since the onset."""

    service: str
    template: str
    before_per_min: float = 0.0
    after_per_min: float = 0.0
    new: bool = False
    error_like: bool = False
    score: float = 0.0
    examples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def texts(self) -> list[str]:
        return [self.template, *self.examples]

    def describe(self) -> str:
        tag = "new" if self.new else f"{self.before_per_min:.1f}→{self.after_per_min:.1f}/min"
        return f"{self.service}: '{self.template[:120]}' ({tag})"


@dataclass
class ChangeLink:
    """A recorded change and how it relates in time to the trouble that followed."""

    service: str
    kind: str
    """deploy, config, flag, migration, secret, infra, job… as the change feed names it."""
    family: str = "deploy"
    """What sort of change it is, whatever the feed called it: deploy, config, credential, schema, infra, job."""
    ts: float = 0.0
    minutes_before_onset: float = 0.0
    score: float = 0.0
    description: str = ""
    version: str = ""
    previous_version: str = ""
    flag: str = ""
    author: str = ""
    linked: str = ""
    """Why this change is tied to the trouble ("memory slope began with it, 6 h ago"), or "" when it is not."""
    link_strength: float = 0.0
    """How firmly: 1 for a trend that began with it, less for a step that came later, 0 when not linked."""

    def what(self) -> str:
        return self.flag or self.version or self.description[:80]

    def describe(self) -> str:
        when = _lag(self.minutes_before_onset)
        return f"{self.kind} of {self.service} ({self.what()}) {when} before onset" + (
            f"; {self.linked}" if self.linked else ""
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _lag(minutes: float) -> str:
    if abs(minutes) >= 48 * 60:
        return f"{minutes / 1440:.0f} d"
    if abs(minutes) >= 120:
        return f"{minutes / 60:.0f} h"
    return f"{minutes:.0f} min"


@dataclass
class Pod:
    name: str = ""
    service: str = ""
    phase: str = "Running"
    ready: bool = True
    restarts: int = 0
    reasons: list[str] = field(default_factory=list)
    node: str = ""


@dataclass
class KubeEvent:
    service: str = ""
    reason: str = ""
    message: str = ""
    object: str = ""
    type: str = "Warning"
    ts: float = 0.0


@dataclass
class Node:
    name: str = ""
    ready: bool = True
    zone: str = ""
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Trend:
    """What a suspect series looked like over a longer past: when its trend began, and whether the same
    shift came at the same time of day yesterday or last week."""

    key: str
    service: str
    metric: str
    trend_start: float | None = None
    """When the series left its long-run level (a slope's start, or a level shift's), if it did."""
    spacing_s: float = 0.0
    """The sample spacing of the read that dated ``trend_start``: the start is known only to a few of them."""
    repeats: list[str] = field(default_factory=list)
    """The earlier windows ("1d", "7d") that showed the same shift at the same time."""
    compared: list[str] = field(default_factory=list)
    """The earlier windows there was data for."""
    burn_score: float | None = None
    """The shift since the trend began, read over the long past: a slow burn barely moves within the window."""
    burn_before: float | None = None
    """The level before the trend began."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Clue:
    """One piece of a tool result that supports (or refutes) a finding — never a bare claim."""

    call_id: str
    tool: str
    summary: str
    supports: bool = True
    weight: float = 1.0


@dataclass
class Finding:
    """A root-cause hypothesis: a fault (a category) on a service, how sure, and the clues for it."""

    service: str
    category: str
    confidence: float
    summary: str
    clues: list[Clue] = field(default_factory=list)
    runbook_id: str | None = None
    strength: float = 0.0
    """The uncapped score behind ``confidence``: it orders findings whose confidence is capped alike."""
    explained_by: str = ""
    """The service whose fault this one follows from (a victim capped just below its cause): no rival to it."""
