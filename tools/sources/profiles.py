"""Signal profiles: the metric names of ordinary stacks (OpenTelemetry, cAdvisor, kube-state-metrics,
node_exporter, Istio, exporters…) read as the engine's canonical signals, without recording rules.

``profiles.yaml`` holds the profiles; this module loads them, picks those whose metric names a server
has, builds their PromQL for all services or for one, and names the result: ``__name__`` the canonical
signal, ``service`` the service, ``profile`` the profile (so a later look-back at that series, by its
key, can be turned back into the profile's query)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from string import Template
from typing import Any

import yaml

from tools.sources.base import Series

__all__ = [
    "Profile",
    "DerivedSignal",
    "load_profiles",
    "detect",
    "workload_of",
    "parse_selector",
    "rate_window",
    "query",
    "name_series",
    "PROFILE_LABEL",
]

PROFILE_LABEL = "profile"
"""The label a derived series carries: which profile made it."""
RATE_WINDOW_STEPS = 4
"""A rate window spans four steps (Prometheus' advice: at least four scrapes), so one missed scrape does not blank
it."""
RATE_WINDOW_SCRAPES = 2
"""And never less than two scrapes, the fewest a rate can be read from."""
DEFAULT_SCRAPE_S = 15.0
"""The scrape interval assumed when the server does not say (the common one; a 30 s floor)."""

_SAFE = "[bcdfghjklmnpqrstvwxz2456789]"  # the alphabet Kubernetes draws generated name suffixes from (no vowels)
_POD_SUFFIXES = (
    re.compile(rf"^(?P<w>.+)-{_SAFE}{{6,10}}-{_SAFE}{{5}}$"),  # Deployment: <pod-template-hash>-<id>
    re.compile(r"^(?P<w>.+)-\d+$"),  # StatefulSet: ordinal
    re.compile(rf"^(?P<w>.+)-{_SAFE}{{5}}$"),
)  # DaemonSet or Job: pod id
_SELECTOR = re.compile(r"^\s*(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{(?P<labels>.*)\})?\s*$")
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


@dataclass(frozen=True)
class DerivedSignal:
    signal: str
    promql: str
    keep: tuple[str, ...] = ()
    upstream: str = ""


@dataclass(frozen=True)
class Profile:
    name: str
    about: str
    detect: tuple[str, ...]
    service_labels: tuple[str, ...]
    signals: tuple[DerivedSignal, ...]
    service_from: str = ""
    keep: tuple[str, ...] = field(default=())

    def signal(self, name: str) -> DerivedSignal | None:
        return next((s for s in self.signals if s.signal == name), None)


@cache
def load_profiles() -> tuple[Profile, ...]:
    """Every profile in ``profiles.yaml``, in file order."""
    text = resources.files("tools.sources").joinpath("profiles.yaml").read_text()
    out = []
    for item in yaml.safe_load(text)["profiles"]:
        signals = tuple(
            DerivedSignal(
                s["signal"], " ".join(str(s["promql"]).split()), tuple(s.get("keep", ())), s.get("upstream", "")
            )
            for s in item["signals"]
        )
        out.append(
            Profile(
                item["name"],
                item.get("about", ""),
                tuple(item["detect"]),
                tuple(item["service_labels"]),
                signals,
                item.get("service_from", ""),
                tuple(item.get("keep", ())),
            )
        )
    return tuple(out)


def detect(metric_names: set[str]) -> list[Profile]:
    """The profiles whose metric names the server has."""
    return [p for p in load_profiles() if any(name in metric_names for name in p.detect)]


def workload_of(pod: str) -> str:
    """The workload a pod belongs to, by Kubernetes' naming: ``checkout-7d9f8b6c5-x2x4q`` → ``checkout``,
    ``db-0`` → ``db``; a name with no such suffix is its own."""
    for pattern in _POD_SUFFIXES:
        found = pattern.match(pod)
        if found:
            return found.group("w")
    return pod


def rate_window(step: float, scrape_s: float = DEFAULT_SCRAPE_S) -> str:
    return f"{int(math.ceil(max(step * RATE_WINDOW_STEPS, scrape_s * RATE_WINDOW_SCRAPES)))}s"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def query(
    profile: Profile,
    derived: DerivedSignal,
    service_label: str,
    step: float,
    where: dict[str, str] | None = None,
    scrape_s: float = DEFAULT_SCRAPE_S,
) -> str:
    """The PromQL of one derived signal: for every service, or narrowed by ``where`` (``service`` becomes the
    profile's service label, or a pod-name pattern when the service is read from pods)."""
    by = ", ".join(dict.fromkeys([service_label, *profile.keep, *derived.keep]))
    matchers = []
    for label, value in (where or {}).items():
        if label == "service" and profile.service_from == "pod":
            matchers.append(f"pod=~{_quote(re.escape(value) + '-.*')}")
        elif label == "service":
            matchers.append(f"{service_label}={_quote(value)}")
        elif label == "upstream" and derived.upstream:
            matchers.append(f"{derived.upstream}={_quote(value)}")
        elif label in (*profile.keep, *derived.keep):
            matchers.append(f"{label}={_quote(value)}")
    sel = "".join(f"{m}, " for m in matchers)
    return Template(derived.promql).substitute(by=by, sel=sel, window=rate_window(step, scrape_s))


def name_series(found: list[Series], profile: Profile, derived: DerivedSignal, service_label: str) -> list[Series]:
    """Results of a profile's query, named as the engine reads them."""
    out = []
    for item in found:
        raw = item.labels.get(service_label, "")
        service = workload_of(raw) if profile.service_from == "pod" else raw
        if not service:
            continue
        # a pod the service was read from stays a label when the profile keeps it: each pod its own series
        named_by = "" if profile.service_from == "pod" else service_label
        labels = {k: v for k, v in item.labels.items() if k != named_by and k in (*profile.keep, *derived.keep)}
        if derived.upstream and derived.upstream in labels:
            labels["upstream"] = labels.pop(derived.upstream)
        labels.update({"__name__": derived.signal, "service": service, PROFILE_LABEL: profile.name})
        out.append(Series(labels, item.times, item.values))
    return out


def parse_selector(text: str) -> tuple[str, dict[str, str]] | None:
    """``name{a="b",c="d"}`` → (name, labels) for a plain equality selector; None for anything else."""
    found = _SELECTOR.match(text)
    if not found:
        return None
    body = found.group("labels") or ""
    labels: dict[str, str] = {}
    position = 0
    while position < len(body):
        matcher = _MATCHER.match(body, position)
        if not matcher:
            return None if body[position:].strip() else (found.group("name"), labels)
        labels[matcher.group(1)] = bytes(matcher.group(2), "utf-8").decode("unicode_escape")
        position = matcher.end()
    return found.group("name"), labels


def describe(profiles: list[Profile]) -> list[dict[str, Any]]:
    return [{"name": p.name, "about": p.about, "signals": [s.signal for s in p.signals]} for p in profiles]
