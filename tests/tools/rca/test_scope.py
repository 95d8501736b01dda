"""Scope: one node's trouble is no zone outage; NotReady events on two nodes are no single node's failure."""

from __future__ import annotations

from tests.support.telemetry import evidence_of, shift
from tools.rca.params import Params
from tools.rca.scope import implicated_nodes, scope_factor


def test_a_per_node_series_that_moved_alone_implicates_its_node() -> None:
    per_node = [
        shift("cart", "packet_loss_ratio", 0.0004, 0.41, 82.0, kind="errors", labels={"node": "n1"}),
        shift("cart", "packet_loss_ratio", 0.0004, 0.0005, 0.2, kind="errors", labels={"node": "n2"}),
        shift("cart", "packet_loss_ratio", 0.0004, 0.0004, 0.1, kind="errors", labels={"node": "n3"}),
    ]
    nodes = implicated_nodes("cart", evidence_of(per_node), Params())
    assert nodes == {"n1"}
    assert scope_factor("zone", nodes, Params()) < 1.0 and scope_factor("node", nodes, Params()) == 1.0


def test_not_ready_events_on_two_nodes_take_a_zone_not_a_node() -> None:
    events = [
        {"service": "db", "reason": "NodeNotReady", "type": "Warning", "object": "node/ip-10-1-3-44"},
        {
            "service": "",
            "reason": "NodeNotReady",
            "type": "Warning",
            "message": "Node ip-10-1-3-51 status is now: NodeNotReady",
        },
        {
            "service": "db",
            "reason": "NodeNotReady",
            "type": "Warning",
            "object": "pod/db-0",
            "message": "Node is not ready",
        },
    ]
    nodes = implicated_nodes(
        "db", evidence_of([shift("db", "error_ratio", 0.0, 0.2, 9.0, kind="errors")], events=events), Params()
    )
    assert nodes == {"ip-10-1-3-44", "ip-10-1-3-51"}
    assert scope_factor("node", nodes, Params()) < 1.0 and scope_factor("zone", nodes, Params()) == 1.0
    assert implicated_nodes("db", evidence_of([shift("db", "error_ratio", 0.0, 0.2, 9.0)]), Params()) is None


def test_the_trouble_node_is_the_one_node_the_services_pods_are_in_trouble_on() -> None:
    from tools.rca.scope import trouble_node

    pods = [
        {"name": "product-a", "service": "product", "node": "n1"},
        {"name": "product-b", "service": "product", "node": "n3", "reasons": ["Evicted"], "ready": False},
        {"name": "product-c", "service": "product", "node": "n3", "reasons": ["Evicted"], "ready": False},
    ]
    loud = [shift("product", "error_ratio", 0.0, 0.2, 9.0, kind="errors")]
    assert trouble_node("product", evidence_of(loud, pods=pods), Params()) == "n3"
    everywhere = pods + [{"name": "product-d", "service": "product", "node": "n1", "reasons": ["OOMKilled"]}]
    assert trouble_node("product", evidence_of(loud, pods=everywhere), Params()) is None


def test_one_pods_moved_series_names_its_node_and_a_service_wide_move_names_none() -> None:
    from tools.rca.scope import trouble_node

    pods = [{"name": f"cart-{i}", "service": "cart", "node": f"n{i}"} for i in range(3)]
    one = [
        shift("cart", "error_ratio", 0.003, 0.86, 90.0, kind="errors", labels={"pod": "cart-1"}),
        shift("cart", "error_ratio", 0.003, 0.003, 0.1, kind="errors", labels={"pod": "cart-0"}),
    ]
    assert trouble_node("cart", evidence_of(one, pods=pods), Params()) == "n1"
    every = [
        shift("cart", "error_ratio", 0.003, 0.86, 90.0, kind="errors", labels={"pod": f"cart-{i}"}) for i in range(3)
    ]
    assert trouble_node("cart", evidence_of(every, pods=pods), Params()) is None
    together = [{**p, "node": "n0"} for p in pods]
    assert trouble_node("cart", evidence_of(one, pods=together), Params()) is None
    two = [*one, shift("cart", "error_ratio", 0.003, 0.9, 80.0, kind="errors", labels={"pod": "cart-3"})]
    assert (
        trouble_node(
            "cart", evidence_of(two, pods=[*pods, {"name": "cart-3", "service": "cart", "node": "n1"}]), Params()
        )
        == "n1"
    ), "two pods that moved, both on one node"


def test_trouble_on_two_services_in_one_zone_with_the_other_zones_quiet_is_that_zones() -> None:
    from tools.rca.scope import confined_zone, release_zone_victims

    def zone_shifts(bad: str) -> list[dict]:
        return [
            shift("shop", "error_ratio", 0.003, 0.95, 130.0, kind="errors", labels={"zone": bad, "pod": "shop-c"}),
            shift("shop", "error_ratio", 0.003, 0.004, 1.2, kind="errors", labels={"zone": "a", "pod": "shop-a"}),
            shift(
                "catalog",
                "upstream_error_ratio",
                0.0,
                1.0,
                60.0,
                kind="errors",
                labels={"zone": "c", "pod": "catalog-c", "upstream": "db"},
            ),
            shift("catalog", "request_rate", 500, 510, 0.6, kind="traffic", labels={"zone": "b"}),
        ]

    evidence = evidence_of(zone_shifts("c"))
    evidence.services["shop"].propagated_from = ["catalog"]
    assert confined_zone(evidence, Params()) == "c"
    assert release_zone_victims(evidence, Params()) == "c" and evidence.services["shop"].propagated_from == []
    assert confined_zone(evidence_of(zone_shifts("a")), Params()) is None  # two zones failing: not one zone's
    alone = [s for s in zone_shifts("c") if s["service"] == "shop"]
    assert confined_zone(evidence_of(alone), Params()) is None  # one service: its own trouble, not the zone's
