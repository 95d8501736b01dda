"""Second opinions on the anomaly ranking's propagation calls, using evidence metrics do not carry.

The metric ranking marks a service whose incoming load rose as a victim of its callers. A service with
its own specific trouble (new error logs of its own, Kubernetes failures) is not merely loaded: it is
restored as a root candidate, and the callers it explains are marked as propagating from it. Error logs
that name another service are evidence about that service ("cache get failed node=redis-2").
"""

from __future__ import annotations

import re
from typing import Any

from bot.reasoners.rules.evidence import EvidenceView
from tools.analysis.anomaly import ANOMALY_THRESHOLD

__all__ = ["reconcile_load", "mentions", "named_in"]

DISCOUNT = 0.35


def _own_trouble(service: str, view: EvidenceView) -> bool:
    new_errors = any(s.get("error_like") and s.get("new") for s in view.spikes.get(service, []))
    return new_errors or bool(view.k8s_reasons(service))


def _callers_of(service: str, topology: dict[str, list[str]]) -> set[str]:
    out: set[str] = set()
    stack = [service]
    while stack:
        current = stack.pop()
        for caller, deps in topology.items():
            if current in deps and caller not in out:
                out.add(caller)
                stack.append(caller)
    return out


def reconcile_load(view: EvidenceView, topology: dict[str, list[str]]) -> None:
    for service, record in view.services.items():
        if not record.get("load_from") or not _own_trouble(service, view):
            continue
        record["load_from"] = []
        if not record.get("propagated_from"):
            record["score"] = float(record["score"]) / DISCOUNT
        onset = record.get("onset")
        for caller in _callers_of(service, topology):
            other: dict[str, Any] | None = view.services.get(caller)
            if other is None or other.get("propagated_from") or float(other.get("fault_score", 0)) < ANOMALY_THRESHOLD:
                continue
            if onset is not None and other.get("onset") is not None and float(other["onset"]) + 90 < float(onset):
                continue
            other["propagated_from"] = [service]
            other["score"] = float(other["score"]) * DISCOUNT
    view.ranked.sort(key=lambda s: float(view.services[s].get("score", 0.0)), reverse=True)


def named_in(spike: dict[str, Any], source: str, known: set[str]) -> list[str]:
    """The services other than ``source`` that a log template (or its examples) names."""
    text = " ".join([str(spike.get("template", ""))] + [str(e) for e in spike.get("examples", [])]).lower()
    return [name for name in sorted(known)
            if name and name != source and re.search(rf"(?<![\w-]){re.escape(name.lower())}", text)]


def mentions(view: EvidenceView, known: set[str]) -> dict[str, list[str]]:
    """service -> the other services whose new error logs name it."""
    out: dict[str, list[str]] = {}
    for source, spikes in view.spikes.items():
        for spike in spikes:
            if not spike.get("error_like"):
                continue
            for name in named_in(spike, source, known):
                out.setdefault(name, [])
                if source not in out[name]:
                    out[name].append(source)
    return out
