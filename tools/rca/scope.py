"""How many nodes the trouble takes: one node's fault is not a zone's, and several nodes failing together
are not one node's fault (``scope`` in knowledge/categories.yaml)."""

from __future__ import annotations

import re

from tools.rca.evidence import Evidence, event_reason
from tools.rca.params import Params
from tools.rca.vocabulary import FAULT_KINDS

__all__ = [
    "implicated_nodes",
    "scope_factor",
    "trouble_node",
    "confined_zone",
    "release_zone_victims",
    "zone_of",
    "ZONE_LABELS",
]

ZONE_LABELS = (
    "zone",
    "topology_kubernetes_io_zone",
    "failure_domain_beta_kubernetes_io_zone",
    "availability_zone",
    "az",
)
"""Labels that name a series' availability zone (Kubernetes' well-known topology label, sanitised)."""

_NODE_IN_MESSAGE = re.compile(r"(?i)\bnode[/ ]+([\w.-]*\d[\w.-]*)")  # a name, not "Node is not ready"
_NODE_DOWN = ("notready", "nodelost", "nodenotready")


def implicated_nodes(service: str, evidence: Evidence, params: Params) -> set[str] | None:
    """The nodes the evidence implicates: NotReady nodes and NotReady/NodeLost events anywhere, else the
    nodes of the service's per-node series that moved when others stayed put. None: the evidence does not say."""
    down = {n.name for n in evidence.nodes if not n.ready}
    for events in evidence.events.values():
        for event in events:
            if event.type != "Normal" and any(word in event_reason(event).lower() for word in _NODE_DOWN):
                named = (
                    event.object.split("/", 1)[1]
                    if event.object.startswith("node/")
                    else next(iter(_NODE_IN_MESSAGE.findall(event.message)), "")
                )
                if named:
                    down.add(named)
    if down:
        return down
    record = evidence.services.get(service)
    seen: dict[str, bool] = {}
    for shift in record.series if record else []:
        node = shift.labels.get("node") or shift.labels.get("instance")
        if node:
            moved = shift.kind in FAULT_KINDS and shift.score >= params.anomaly_threshold
            seen[node] = seen.get(node, False) or moved
    if len(seen) < 2:
        return None
    return {node for node, moved in seen.items() if moved} or None


def trouble_node(service: str, evidence: Evidence, params: Params) -> str | None:
    """The one node the service's trouble is confined to, when the evidence names exactly one: a node
    implicated by its per-node series or node events, else the node of its pods that are in trouble
    (evicted, not ready, restarting) while its pods elsewhere are fine, else the one node of its pods whose
    series moved while it has pods elsewhere. None when the trouble is not one node's, or cannot be told
    from the service's (all its pods on one node)."""
    nodes = implicated_nodes(service, evidence, params)
    if nodes is not None:
        return next(iter(nodes)) if len(nodes) == 1 else None
    pods = [p for p in evidence.pods.get(service, []) if p.node]
    troubled = {p.node for p in pods if not p.ready or p.reasons or p.phase not in ("Running", "Succeeded")}
    if len(troubled) == 1 and any(p.node not in troubled for p in pods):
        return next(iter(troubled))
    record = evidence.services.get(service)
    moved = {
        s.labels["pod"]
        for s in (record.series if record else [])
        if s.labels.get("pod")
        and s.service == service
        and s.kind in FAULT_KINDS
        and s.score >= params.anomaly_threshold
    }
    where = {p.node for p in pods if p.name in moved}
    elsewhere = any(p.node not in where for p in pods)  # with every pod on one node, node and service look alike
    return next(iter(where)) if moved and len(where) == 1 and elsewhere else None


def scope_factor(scope: str | None, nodes: set[str] | None, params: Params) -> float:
    """``off_scope_factor`` for a fault whose scope the implicated nodes contradict, else 1."""
    if not scope or nodes is None:
        return 1.0
    if (scope == "zone" and len(nodes) < 2) or (scope == "node" and len(nodes) >= 2):
        return params.off_scope_factor
    return 1.0


def zone_of(labels: dict[str, str]) -> str:
    return next((labels[key] for key in ZONE_LABELS if labels.get(key)), "")


def confined_zone(evidence: Evidence, params: Params) -> str | None:
    """The one zone all the trouble is in: every strong fault shift that names a zone names the same one,
    on at least two services, while series of another zone were read and did not move. A zone whose
    nodes still report Ready (a network partition) shows this way only."""
    strong: dict[str, set[str]] = {}
    other_zones: set[str] = set()
    for record in evidence.services.values():
        for shift in record.series:
            zone = zone_of(shift.labels)
            if not zone:
                continue
            if shift.kind in FAULT_KINDS and shift.score >= params.anomaly_threshold:
                strong.setdefault(zone, set()).add(shift.service)
            else:
                other_zones.add(zone)
    if len(strong) != 1:
        return None
    zone, services = next(iter(strong.items()))
    return zone if len(services) >= 2 and other_zones - {zone} else None


def release_zone_victims(evidence: Evidence, params: Params) -> str | None:
    """With the trouble confined to one zone, services failing there fail because of the zone, not because
    of each other: whatever propagation their calls into the zone suggested is dropped. The zone is kept
    on the evidence for the checks that read it."""
    zone = evidence.confined_zone = confined_zone(evidence, params)
    if zone is None:
        return None
    for record in evidence.services.values():
        if any(
            zone_of(s.labels) == zone and s.kind in FAULT_KINDS and s.score >= params.anomaly_threshold
            for s in record.series
        ):
            record.propagated_from, record.load_from, record.waiting = [], [], False
    return zone
