"""How many nodes the trouble takes: one node's fault is not a zone's, and several nodes failing together
are not one node's fault (``scope`` in knowledge/categories.yaml)."""

from __future__ import annotations

import re

from tools.rca.evidence import Evidence, event_reason
from tools.rca.params import Params
from tools.rca.vocabulary import FAULT_KINDS

__all__ = ["implicated_nodes", "scope_factor"]

_NODE_IN_MESSAGE = re.compile(r"(?i)\bnode[/ ]+([\w.-]*\d[\w.-]*)")  # a name, not "Node is not ready"
_NODE_DOWN = ("notready", "nodelost", "nodenotready")


def implicated_nodes(service: str, evidence: Evidence, params: Params) -> set[str] | None:
    """The nodes the evidence implicates: NotReady nodes and NotReady/NodeLost events anywhere, else the
    nodes of the service's per-node series that moved when others stayed put. None: the evidence does not say."""
    down = {n.name for n in evidence.nodes if not n.ready}
    for events in evidence.events.values():
        for event in events:
            if event.type != "Normal" and any(word in event_reason(event).lower() for word in _NODE_DOWN):
                named = event.object.split("/", 1)[1] if event.object.startswith("node/") else \
                    next(iter(_NODE_IN_MESSAGE.findall(event.message)), "")
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


def scope_factor(scope: str | None, nodes: set[str] | None, params: Params) -> float:
    """``off_scope_factor`` for a fault whose scope the implicated nodes contradict, else 1."""
    if not scope or nodes is None:
        return 1.0
    if (scope == "zone" and len(nodes) < 2) or (scope == "node" and len(nodes) >= 2):
        return params.off_scope_factor
    return 1.0
