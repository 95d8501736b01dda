"""One anomaly seen at a whole and at its part: the part is named, scored by the stronger view."""

from __future__ import annotations

from tests.support.telemetry import T0, evidence_of, series, shift
from tools.rca.nesting import parts_of
from tools.rca.params import Params
from tools.rca.services import rank_services
from tools.rca.victims import name_the_level, named_upstreams


def test_parts_extend_a_name_at_a_separator() -> None:
    names = ["orders", "orders-db", "orders.cache", "ordersvc", "payments", "orders-db-replica"]
    parts = parts_of(names)
    assert sorted(parts["orders"]) == ["orders-db", "orders-db-replica", "orders.cache"]
    assert parts["orders-db"] == ["orders-db-replica"]
    assert "payments" not in parts


def _one_delay_seen_three_times(part_noise: float) -> list:
    """A function, the Lambda around it and an API stage in front: the same 1 s step in all three, the
    part's baseline noisier (so its own score alone is the lowest)."""
    return [
        series("updater-Lambda", "latency_p99_seconds", 0.05, 0.004, shift=1.0),
        series("updater-Lambda-Function", "latency_p99_seconds", 0.06, part_noise, shift=1.0),
        series("api-stage", "latency_p99_seconds", 0.06, 0.0045, shift=1.0),
    ]


def test_a_part_showing_its_wholes_anomaly_is_named_first() -> None:
    ranked = rank_services(_one_delay_seen_three_times(part_noise=0.012), T0)
    assert ranked[0].service == "updater-Lambda-Function", [(r.service, r.score) for r in ranked]
    whole = next(r for r in ranked if r.service == "updater-Lambda")
    assert whole.propagated_from == ["updater-Lambda-Function"]


def test_without_the_name_hierarchy_the_noisier_view_loses() -> None:
    data = _one_delay_seen_three_times(part_noise=0.012)
    data[1] = series("function", "latency_p99_seconds", 0.06, 0.012, shift=1.0)
    assert rank_services(data, T0)[0].service != "function"


def test_a_part_with_another_kind_of_trouble_does_not_explain_its_whole() -> None:
    """A bad deploy of ``orders`` slows it; ``orders-db`` only sees fewer queries: not the same anomaly."""
    data = [
        series("orders", "error_ratio", 0.01, 0.002, shift=0.3),
        series("orders-db", "request_rate", 100.0, 3.0, shift=-40.0),
    ]
    ranked = rank_services(data, T0)
    assert ranked[0].service == "orders"
    assert ranked[0].propagated_from == []


def _caller_looking_at(upstream_explained_by_caller: bool) -> list[str]:
    evidence = evidence_of(
        [
            shift(
                "bank-connector", "upstream_error_ratio", 0.001, 1.0, 60.0, kind="errors", labels={"upstream": "bank"}
            ),
            shift("bank", "tls_handshake_errors", 0.0, 46.0, 60.0, kind="errors", labels={"upstream": "bank"}),
        ]
    )
    if upstream_explained_by_caller:
        evidence.services["bank"].propagated_from = ["bank-connector"]
    named_upstreams(evidence, {"bank": ["bank-connector"]}, Params())
    return evidence.services["bank-connector"].propagated_from


def test_an_upstream_its_caller_explains_does_not_explain_it_back() -> None:
    assert _caller_looking_at(upstream_explained_by_caller=False) == ["bank"]
    assert _caller_looking_at(upstream_explained_by_caller=True) == []


def _levels(tied_to: str | None) -> tuple[list[str], list[str]]:
    """A function and the alias that points at it, one latency step; a config change tied to one of them."""
    changes = (
        [
            {
                "service": tied_to,
                "kind": "config",
                "family": "config",
                "link_strength": 1.0,
                "description": "memory_size 1024 MB -> 256",
            }
        ]
        if tied_to
        else []
    )
    evidence = evidence_of(
        [
            shift("checkout-fn", "latency_p99_seconds", 0.4, 5.8, 40.0, kind="latency"),
            shift("checkout-fn-live", "latency_p99_seconds", 0.4, 5.8, 40.0, kind="latency"),
        ],
        changes=changes,
    )
    evidence.services["checkout-fn"].propagated_from = ["checkout-fn-live"]
    name_the_level(evidence, Params())
    return evidence.services["checkout-fn"].propagated_from, evidence.services["checkout-fn-live"].propagated_from


def test_the_level_with_evidence_of_its_own_is_named() -> None:
    assert _levels(tied_to=None) == (["checkout-fn-live"], []), "metrics alone: the part is named"
    assert _levels(tied_to="checkout-fn") == ([], ["checkout-fn"]), "the change is the whole's: the whole is named"
    assert _levels(tied_to="checkout-fn-live") == (["checkout-fn-live"], [])
