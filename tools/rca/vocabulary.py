"""The signal vocabulary, read from its one table (``vocabulary.yaml``): what a metric is (its canonical name
and kind), which direction is bad for it, how much it weighs, and the smallest change that can matter.

A series is read by its name: first against the canonical names and their usual aliases
(OpenTelemetry, cAdvisor, kube-state-metrics, node_exporter spellings), then, when none fits, by the
words it contains (``error``, ``latency``, ``cpu``…), so names the table never heard of still work.
Runbook checks name canonical signals, and read every series whose name maps to them.

The table is read on first use, never at import. It also gives the Prometheus source its default query
(:func:`recorded_names`), the signal profiles the names they may make (:func:`known_names`), and
knowledge/README.md its table (:func:`docs_table`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = [
    "Signal",
    "Entry",
    "Vocabulary",
    "classify",
    "faces_dependency",
    "is_limit",
    "load_vocabulary",
    "known_names",
    "parse_vocabulary",
    "recorded_names",
    "docs_table",
    "ACCUMULATING",
    "FAULT_KINDS",
    "CLIENT_LABELS",
    "SHARE_KINDS",
]

ACCUMULATING = frozenset({"memory", "disk", "queue", "restarts", "saturation", "capacity"})
"""Kinds of resources that fill up slowly."""
FAULT_KINDS = frozenset(
    {"errors", "latency", "cpu", "memory", "queue", "saturation", "disk", "logs", "restarts", "availability", "clock"}
)
"""Kinds whose bad-direction shift is a fault rather than a change of load or volume."""
CLIENT_LABELS = ("client", "application_name", "source_workload", "source_service", "caller", "client_service")
"""Labels that split a server's load by the client sending it (PostgreSQL's application_name, Istio's
source_workload, a service graph's client)."""
SHARE_KINDS = frozenset({"traffic", "saturation", "cpu", "io"})
"""Kinds of a per-client series that measure the load a client puts on the server (not how it is served)."""
_BAD = ("up", "down", "both")
_WORSE_WHEN = {"up": "rises", "down": "falls", "both": "rises or falls"}


@dataclass(frozen=True)
class Signal:
    name: str
    """The canonical vocabulary name, or "" when only the kind is known."""
    kind: str
    bad: str
    """``up`` when a rise is bad, ``down`` when a fall is, ``both`` when either may be."""
    weight: float
    floor: float = 1e-9
    """The smallest absolute change that can matter, by the unit the name states."""
    dependency: bool = False
    """Measures a service's calls to others rather than its own work."""


@dataclass(frozen=True)
class Entry:
    """One row of the table: a canonical signal, or (``name`` "") a kind read from the words of a name."""

    name: str
    kind: str
    bad: str
    weight: float
    pattern: re.Pattern[str]
    """The aliases (or words), searched in the lower-case metric name."""
    meaning: str = ""
    recorded: bool = True
    """Read by the Prometheus source's default query under its own name."""
    bound: tuple[str, str] | None = None
    """``(name, meaning)`` of the series that bounds this one (``memory_limit_bytes``), read as this signal."""

    def signal(self) -> Signal:
        return Signal(self.name, self.kind, self.bad, self.weight)


@dataclass(frozen=True)
class FloorRule:
    ends: tuple[str, ...]
    contains: tuple[str, ...]
    floor: float

    def fits(self, name: str) -> bool:
        return name.endswith(self.ends) or any(word in name for word in self.contains)


@dataclass(frozen=True)
class Vocabulary:
    kinds: dict[str, float]
    """Every kind, in the docs' order, and its weight in the ranking."""
    entries: tuple[Entry, ...]
    """In match order: the first whose pattern matches a name gives its signal."""
    otherwise: Signal
    floors: tuple[FloorRule, ...]
    no_floor: float
    dependency: re.Pattern[str]


def _entry(item: dict[str, Any], kinds: dict[str, float]) -> Entry:
    name = str(item.get("name", ""))
    kind, bad = str(item["kind"]), str(item["bad"])
    where = name or repr(item.get("words"))
    if kind not in kinds or bad not in _BAD:
        raise ValueError(f"vocabulary.yaml: {where}: kind {kind!r} or bad {bad!r} unknown")
    if bool(name) != ("aliases" in item) or bool(name) == ("words" in item) or (name and not item.get("meaning")):
        raise ValueError(
            f"vocabulary.yaml: {where}: a signal has a name, aliases and a meaning; a words row only words"
        )
    bound = item.get("bound")
    return Entry(
        name,
        kind,
        bad,
        kinds[kind],
        re.compile(str(item.get("aliases") or item["words"])),
        str(item.get("meaning", "")),
        bool(item.get("recorded", True)),
        (str(bound["name"]), str(bound["meaning"])) if bound else None,
    )


@cache
def load_vocabulary() -> Vocabulary:
    """The table in ``vocabulary.yaml``."""
    return parse_vocabulary(yaml.safe_load(resources.files("tools.rca").joinpath("vocabulary.yaml").read_text()))


def parse_vocabulary(data: dict[str, Any]) -> Vocabulary:
    """The table from the file's YAML, checked: known kinds and directions, a meaning for every signal,
    aliases only for a named signal and words only for a row without a name."""
    kinds = {str(kind): float(spec["weight"]) for kind, spec in data["kinds"].items()}
    entries = tuple(_entry(item, kinds) for item in data["signals"])
    otherwise = data["otherwise"]
    floors = tuple(
        FloorRule(tuple(rule.get("ends", ())), tuple(rule.get("contains", ())), float(rule["floor"]))
        for rule in data["floors"]
    )
    return Vocabulary(
        kinds,
        entries,
        Signal("", otherwise["kind"], otherwise["bad"], kinds[otherwise["kind"]]),
        floors,
        float(data["no_floor"]),
        re.compile(str(data["dependency"]), re.IGNORECASE),
    )


def faces_dependency(metric: str) -> bool:
    """True for metrics that measure a service's calls to others rather than its own work."""
    return bool(load_vocabulary().dependency.search(metric))


@cache
def classify(metric: str) -> Signal:
    """What ``metric`` is: its exact canonical entry, else the first alias that matches, else its kind from
    the words it contains (``error_ratio`` → errors/up, ``cache_hit_ratio`` → availability/down)."""
    vocabulary = load_vocabulary()
    name = metric.lower()
    found = next((e for e in vocabulary.entries if e.name == name), None) or next(
        (e for e in vocabulary.entries if e.pattern.search(name)), None
    )
    signal = found.signal() if found else vocabulary.otherwise
    return Signal(signal.name, signal.kind, signal.bad, signal.weight, _floor(name), faces_dependency(name))


def _floor(name: str) -> float:
    """The smallest change that can matter, by the unit the name states: half a percent of a ratio, 2 ms,
    one queued message, half a restart, a megabyte; nothing for a name that states no unit."""
    vocabulary = load_vocabulary()
    return next((rule.floor for rule in vocabulary.floors if rule.fits(name)), vocabulary.no_floor)


LIMIT = re.compile(
    r"(?i)(^|_)(limits?|capacity|quota)(_|$)|(^|_)max(imum)?(_(fds|files|connections|replicas|memory|bytes|size))?$|"
    r"(^|_)max_(fds|files|connections|replicas|memory|bytes|size)(_|$)"
)
"""A name that states a bound set by configuration (``memory_limit_bytes``, ``process_max_fds``,
``replicas_max``): it moves only when someone changes it."""


def is_limit(metric: str) -> bool:
    """True for a limit: a bound of a canonical signal (``bound`` in vocabulary.yaml), or a name that says so."""
    bounds = {e.bound[0] for e in load_vocabulary().entries if e.bound}
    return metric.lower() in bounds or bool(LIMIT.search(metric))


def known_names() -> set[str]:
    """Every name the vocabulary defines: the canonical signals and their bounds."""
    entries = load_vocabulary().entries
    return {e.name for e in entries if e.name} | {e.bound[0] for e in entries if e.bound}


def recorded_names() -> list[str]:
    """The canonical signals the Prometheus source reads by their own names, in the table's order."""
    return [e.name for e in load_vocabulary().entries if e.name and e.recorded]


def docs_table() -> str:
    """knowledge/README.md's table of the signals (Markdown): by kind, in the order of the kinds; within a kind
    the broadest signal first (the reverse of the match order, where the narrowest comes first)."""
    vocabulary = load_vocabulary()
    rows = ["| metric | meaning | kind | bad when it |", "|---|---|---|---|"]
    for kind in vocabulary.kinds:
        for entry in (e for e in reversed(vocabulary.entries) if e.name and e.kind == kind):
            names, meaning = f"`{entry.name}`", entry.meaning
            if entry.bound:
                names, meaning = f"{names} / `{entry.bound[0]}`", f"{meaning} / {entry.bound[1]}"
            rows.append(f"| {names} | {meaning} | {kind} | {_WORSE_WHEN[entry.bad]} |")
    return "\n".join(rows) + "\n"
