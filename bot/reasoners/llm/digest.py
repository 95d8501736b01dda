"""The evidence as a model reads it: a few facts per service, each with the call id to cite, instead of
the raw tool results (which would not fit a prompt budget, and bury what matters)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.rca.evidence import TELEMETRY_TOOLS, Evidence, read_evidence
from tools.rca.records import ChangeLink

__all__ = ["Detail", "ServiceFacts", "digest", "DETAILS"]


@dataclass(frozen=True)
class Detail:
    """How much of the evidence to show: services, facts per service, characters per fact."""

    services: int
    facts: int
    chars: int


DETAILS = (
    Detail(10, 8, 200),
    Detail(8, 6, 160),
    Detail(6, 5, 130),
    Detail(5, 4, 110),
    Detail(4, 3, 90),
    Detail(3, 2, 80),
    Detail(2, 2, 70),
    Detail(1, 1, 60),
)
"""From the most detailed to the least: the prompt takes the first that fits its budget."""


@dataclass
class ServiceFacts:
    service: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    """(call id, what that result says about the service), strongest first."""


def _cut(text: str, chars: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _lag(minutes: float) -> str:
    if abs(minutes) >= 48 * 60:
        return f"{minutes / 1440:.0f} d"
    return f"{minutes / 60:.0f} h" if abs(minutes) >= 120 else f"{minutes:.0f} min"


def _change(change: ChangeLink) -> str:
    """What changed, when, and what the change feed says of it (its description is the evidence)."""
    what = " ".join(part for part in (change.version, f"flag {change.flag}" if change.flag else "") if part)
    text = (
        f"{change.kind} of {change.service}{f' {what}' if what else ''}, {_lag(change.minutes_before_onset)} "
        f"before onset"
    )
    if change.description and change.description != what:
        text += f": {change.description}"
    return text + (f"; {change.linked}" if change.linked else "")


def _facts(evidence: Evidence, calls: list[dict[str, Any]], service: str, chars: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    record = evidence.services.get(service)
    if record is not None and record.series and evidence.anomaly_call:
        shifts = sorted(record.series, key=lambda s: -s.score)[:3]
        waits = f"; waits on {', '.join(record.propagated_from[:3])}" if record.propagated_from else ""
        out.append((evidence.anomaly_call, "; ".join(s.describe() for s in shifts) + waits))
    for change in sorted(evidence.changes_of(service), key=lambda c: (not c.linked, -c.score))[:2]:
        out.append((evidence.change_call or "", _change(change)))
    for spike in sorted(evidence.spikes.get(service, []), key=lambda s: -s.score)[:4]:
        tag = "new" if spike.new else f"{spike.before_per_min:.1f}→{spike.after_per_min:.1f}/min"
        out.append((evidence.spike_call or "", f"log '{spike.texts()[-1]}' ({tag})"))
    pods = evidence.pods.get(service, [])
    unready = [p for p in pods if not p.ready or p.reasons]
    if unready and evidence.pod_call:
        reasons = sorted({r for p in unready for r in p.reasons})
        out.append(
            (
                evidence.pod_call,
                f"{len(unready)}/{len(pods)} pods unhealthy: {', '.join(reasons) or 'not ready'}"
                f" (nodes {', '.join(sorted({p.node for p in unready if p.node})) or '?'})",
            )
        )
    warnings = [e for e in evidence.events.get(service, []) if e.type != "Normal"]
    if warnings and evidence.event_call:
        out.append((evidence.event_call, "; ".join(f"{e.reason}: {e.message}" for e in warnings[:2])))
    hosts = {p.node for p in pods}
    down = [n.name for n in evidence.nodes if not n.ready and n.name in hosts]
    if down and evidence.node_call:
        out.append((evidence.node_call, f"its node(s) NotReady: {', '.join(down)}"))
    trends = [t for t in evidence.trends.values() if t.service == service and (t.repeats or t.trend_start)]
    if trends and evidence.trend_call:
        out.append(
            (
                evidence.trend_call,
                "; ".join(
                    f"{t.metric}: "
                    + (f"same shift {'/'.join(t.repeats)} ago" if t.repeats else "a trend began earlier")
                    for t in trends[:2]
                ),
            )
        )
    for call in calls:  # results the engine does not read (the model's own queries): by their summary
        if (
            call.get("tool") not in TELEMETRY_TOOLS
            and call.get("status") in ("ok", "no_data")
            and service in str(call.get("summary", "")) + str(call.get("args", ""))
        ):
            out.append((str(call["id"]), f"{call['tool']}: {call.get('summary', '')}"))
    return [(call_id, _cut(text, chars)) for call_id, text in out if call_id]


def digest(calls: list[dict[str, Any]], leading: list[str], detail: Detail) -> list[ServiceFacts]:
    """Facts per service for ``detail``: the ``leading`` services first (the rules engine's suspects), then
    the others in the anomaly ranking's order; services with nothing to say are left out."""
    evidence = read_evidence(calls)
    order = list(dict.fromkeys([*leading, *evidence.ranked]))
    out: list[ServiceFacts] = []
    for service in order:
        facts = _facts(evidence, calls, service, detail.chars)[: detail.facts]
        if facts:
            out.append(ServiceFacts(service, facts))
        if len(out) >= detail.services:
            break
    return out
