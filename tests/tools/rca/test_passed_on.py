"""Trouble a caller only passes on: a dependency's error repeated word for word, a cache server's misses,
a log pipeline carrying other services' volume."""

from __future__ import annotations

from tests.support.telemetry import evidence_of
from tests.support.telemetry import shift as anomaly
from tools.rca.params import Params
from tools.rca.passed_on import passed_on

LOCK = "ERROR: canceling statement due to lock timeout"


def _relations(
    shifts: list[dict[str, object]],
    spikes: list[dict[str, object]],
    topology: dict[str, list[str]],
    changes: list[dict[str, object]] | None = None,
) -> dict[str, tuple[list[str], list[str]]]:
    extra = {"changes": changes} if changes else {}
    view = evidence_of(shifts, spikes=spikes, **extra)
    view.topology = topology
    passed_on(view, Params())
    return {name: (r.propagated_from, r.load_from) for name, r in view.services.items()}


def test_a_caller_repeating_its_databases_own_error_relays_it_unless_its_own_change_is_tied() -> None:
    shifts = [
        anomaly("tickets-api", "latency_p99_seconds", 0.3, 20.0, 200.0, kind="latency"),
        anomaly("tickets-db", "lock_wait_seconds", 0.0, 19.0, 200.0, kind="saturation"),
    ]
    spikes = [
        {"service": "tickets-db", "template": LOCK, "error_like": True, "new": True},
        {
            "service": "tickets-api",
            "template": f"ERROR POST /v1/orders <NUM> after <NUM> <*> {LOCK} (55P03)",
            "error_like": True,
            "new": True,
        },
    ]
    topology = {"tickets-api": ["tickets-db"], "tickets-db": []}
    assert _relations(shifts, spikes, topology)["tickets-api"][0] == ["tickets-db"]
    other = [spikes[0], {**spikes[1], "template": "ERROR POST /v1/orders <NUM>: upstream connect error"}]
    assert _relations(shifts, other, topology)["tickets-api"][0] == [], "a generic failure echoes nothing"
    own = [
        {
            "service": "tickets-api",
            "kind": "deploy",
            "family": "deploy",
            "minutes_before_onset": 3.0,
            "linked": "the trouble began 3 min after it",
            "link_strength": 0.9,
        }
    ]
    assert _relations(shifts, spikes, topology, own)["tickets-api"][0] == [], "its own release may be the cause"


def test_a_cache_servers_collapsed_hit_ratio_explains_its_callers_trouble() -> None:
    shifts = [
        anomaly("listing-api", "db_pool_wait_seconds", 0.001, 0.85, 200.0, kind="saturation"),
        anomaly("listing-cache", "cache_hit_ratio", 0.96, 0.08, 150.0, direction="down", kind="other"),
    ]
    topology = {"listing-api": ["listing-cache", "listings-db"], "listing-cache": [], "listings-db": []}
    assert _relations(shifts, [], topology)["listing-api"][0] == ["listing-cache"]
    steady = [shifts[0], anomaly("listing-cache", "cache_hit_ratio", 0.96, 0.95, 1.0, direction="down", kind="other")]
    assert _relations(steady, [], topology)["listing-api"][0] == []


def test_a_log_pipeline_in_trouble_after_a_services_log_volume_rose_is_loaded_by_it() -> None:
    shifts = [
        anomaly("fluent-bit", "cpu_throttled_ratio", 0.01, 0.9, 100.0, kind="cpu"),
        anomaly("payments-api", "log_lines_rate", 140.0, 3500.0, 160.0, kind="logs"),
        anomaly("orders-api", "log_lines_rate", 95.0, 97.0, 0.5, kind="logs"),
    ]
    relations = _relations(shifts, [], {})
    assert relations["fluent-bit"][1] == ["payments-api"] and relations["payments-api"][1] == []
    assert _relations([*shifts[:1], *shifts[2:]], [], {})["fluent-bit"][1] == [], "no volume rose: no source"
    ingester = [anomaly("loki", "loki_discarded_samples_rate", 0.0, 900.0, 100.0, kind="errors"), *shifts[1:]]
    assert _relations(ingester, [], {})["loki"][1] == ["payments-api"], "a log store's ingester is in the pipeline"


def test_a_dependency_its_callers_cannot_resolve_is_the_troubled_dns_servers_victim() -> None:
    lookup = (
        'ERROR charge failed: Post "https://api.stripe.com/v1/charges": dial tcp: lookup api.stripe.com: i/o timeout'
    )
    shifts = [
        anomaly("payments-api", "upstream_error_ratio", 0.002, 0.17, 10.0, kind="errors", upstream="stripe"),
        anomaly("stripe", "upstream_latency_seconds", 0.37, 3.1, 22.0, kind="latency"),
        anomaly("coredns", "dns_errors", 0.05, 24.0, 200.0, kind="errors"),
    ]
    spikes = [{"service": "payments-api", "template": lookup, "error_like": True, "new": True}]
    topology = {"payments-api": ["stripe", "coredns"], "coredns": []}
    assert _relations(shifts, spikes, topology)["stripe"][0] == ["coredns"]
    calm = [*shifts[:2], anomaly("coredns", "dns_errors", 0.05, 0.06, 0.4, kind="errors")]
    assert _relations(calm, spikes, topology)["stripe"][0] == [], "a DNS server without trouble explains nothing"
    refused = [{**spikes[0], "template": "ERROR charge failed: 502 Bad Gateway from api.stripe.com"}]
    assert _relations(shifts, refused, topology)["stripe"][0] == [], "only a lookup that went unanswered"
