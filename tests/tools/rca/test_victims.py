"""Second opinions on who is a victim: a caller that multiplied its own calls keeps the blame for the load."""

from __future__ import annotations

from tests.support.telemetry import evidence_of, shift
from tools.rca.load import amplifies
from tools.rca.params import Params
from tools.rca.victims import load_named, reconcile_load

TOPOLOGY = {"checkout": ["gateway"], "gateway": ["psp"], "psp": []}


def _storm(served_after: float) -> list[dict]:
    """checkout's calls to gateway went 60 → 300/s; what checkout itself serves went 60 → ``served_after``."""
    return [
        shift("checkout", "request_rate", 60.0, served_after, 20.0 if served_after > 100 else 0.4, kind="traffic"),
        shift("checkout", "upstream_request_rate", 60.0, 300.0, 12.0, kind="traffic", labels={"upstream": "gateway"}),
        shift("checkout", "latency_p99_seconds", 0.7, 7.9, 90.0, kind="latency"),
        shift("gateway", "request_rate", 60.0, 300.0, 20.0, kind="traffic"),
        shift("gateway", "cpu_usage_ratio", 0.4, 0.98, 12.0, kind="cpu"),
        shift("gateway", "error_ratio", 0.002, 0.6, 120.0, kind="errors"),
    ]


def _after_reconcile(served_after: float) -> tuple[list[str], list[str]]:
    evidence = evidence_of(
        _storm(served_after),
        spikes=[
            {
                "service": "gateway",
                "template": "ERROR psp POST /v1/charges 503 Service Unavailable",
                "error_like": True,
                "new": True,
                "before": 0,
                "after": 40,
            }
        ],
    )
    evidence.services["gateway"].load_from = ["checkout"]
    evidence.services["checkout"].propagated_from = ["gateway"]
    reconcile_load(evidence, TOPOLOGY, Params())
    return evidence.services["gateway"].load_from, evidence.services["checkout"].propagated_from


def test_a_caller_whose_calls_multiplied_on_flat_traffic_amplifies() -> None:
    evidence = evidence_of(_storm(served_after=61.0))
    assert amplifies(evidence.services["checkout"], "gateway", Params())
    passed_on = evidence_of(_storm(served_after=300.0))
    assert not amplifies(passed_on.services["checkout"], "gateway", Params())


def test_load_a_caller_multiplied_stays_its_doing_despite_the_services_own_errors() -> None:
    assert _after_reconcile(served_after=61.0) == (["checkout"], [])
    loaded, propagated = _after_reconcile(served_after=300.0)
    assert loaded == [] and propagated == ["gateway"], "passed-on load: the service's own trouble is the cause"


def test_a_log_names_a_wrapped_service_by_its_stem_but_not_a_short_common_word() -> None:
    from tools.rca.records import LogSpike
    from tools.rca.victims import named_in

    spike = LogSpike(service="recs", template="ERROR featurestore: read timeout after 2500ms; auth ok; featurestores")
    assert named_in(spike, "recs", {"featurestore-saas", "auth-svc", "recs"}) == ["featurestore-saas"]
    plain = LogSpike(service="recs", template="ERROR upstream featurestoreX failed")
    assert named_in(plain, "recs", {"featurestore-saas"}) == [], "a stem inside a longer word is another name"


def test_an_unanswered_name_lookup_blames_the_dns_servers_called_not_the_host_looked_up() -> None:
    from tools.rca.records import LogSpike
    from tools.rca.victims import accused

    timeout = LogSpike(service="search-api", template="ERROR dial tcp: lookup search-index.internal: i/o timeout")
    known = {"search-index", "coredns", "search-api"}
    topology = {"search-api": ["search-index", "coredns"]}
    assert accused(timeout, "search-api", known, {"coredns"}, topology) == ["coredns"]
    assert accused(timeout, "coredns", known, {"coredns"}, topology) == [], "a DNS server's failing lookups are its own"
    assert accused(timeout, "search-api", known, set(), topology) == [], "nobody to blame, but not the host looked up"
    gone = LogSpike(service="search-api", template="WARN dial tcp: lookup search-index-2.search-index: no such host")
    assert accused(gone, "search-api", known, {"coredns"}, topology) == ["search-index"], (
        "an answer that the name does not exist: a headless service whose pod is gone"
    )


def test_a_server_refusing_the_certificate_we_present_names_no_one_else() -> None:
    from tools.rca.victims import mentions

    line = "ERROR bank POST /v2/authorisations failed: remote error: tls: expired certificate"
    view = evidence_of([], spikes=[{"service": "payments", "template": line, "error_like": True, "new": True}])
    assert mentions(view, {"payments", "bank"}) == {}, "a refusal names who refused, not who is at fault"
    plain = line.replace("remote error: tls: expired certificate", "503 Service Unavailable")
    view = evidence_of([], spikes=[{"service": "payments", "template": plain, "error_like": True, "new": True}])
    assert mentions(view, {"payments", "bank"}) == {"bank": ["payments"]}


def _shared_db(scorer_after: float, accounts_wait: bool) -> list[dict]:
    """users-db at its connection limit; its connections per client: fraud-scorer 60 → ``scorer_after``,
    accounts-api 88 → 44 (refused), or, with ``accounts_wait``, accounts-api 88 → 200 while its queries slow."""
    accounts = (88.0, 200.0, 30.0) if accounts_wait else (88.0, 44.0, 9.0)
    return [
        shift("users-db", "db_connections", 190.0, 300.0, 17.0, kind="saturation"),
        shift(
            "users-db",
            "db_client_connections",
            60.0,
            scorer_after,
            27.0 if scorer_after > 100 else 0.3,
            kind="saturation",
            labels={"application_name": "fraud-scorer"},
        ),
        shift(
            "users-db",
            "db_client_connections",
            *accounts,
            kind="saturation",
            direction="up" if accounts_wait else "down",
            labels={"application_name": "accounts-api"},
        ),
        shift("fraud-scorer", "cpu_usage_ratio", 0.3, 0.32, 0.5, kind="cpu"),
        shift("accounts-api", "upstream_error_ratio", 0.0, 0.21, 80.0, kind="errors", labels={"upstream": "users-db"}),
        shift(
            "accounts-api",
            "upstream_latency_seconds",
            0.01,
            0.9 if accounts_wait else 0.01,
            60.0 if accounts_wait else 0.1,
            kind="latency",
            labels={"upstream": "users-db"},
        ),
    ]


def test_a_server_s_load_split_per_client_names_the_client_whose_share_rose() -> None:
    evidence = evidence_of(_shared_db(scorer_after=240.0, accounts_wait=False))
    load_named(evidence, Params())
    assert evidence.services["users-db"].load_from == ["fraud-scorer"]
    flat = evidence_of(_shared_db(scorer_after=61.0, accounts_wait=False))
    load_named(flat, Params())
    assert flat.services["users-db"].load_from == [], "no client's share rose: no one sent the load"


def test_a_client_that_waits_on_the_server_holds_more_of_it_without_sending_the_load() -> None:
    evidence = evidence_of(_shared_db(scorer_after=61.0, accounts_wait=True))
    load_named(evidence, Params())
    assert evidence.services["users-db"].load_from == []


def _handshakes(served_after: float) -> list[dict]:
    """edge-gateway opens 20 → 2,400 connections/s to auth-api; what it serves goes 2,800 → ``served_after``."""
    return [
        shift(
            "edge-gateway",
            "request_rate",
            2800.0,
            served_after,
            0.4 if served_after < 3000 else 30.0,
            kind="traffic",
            direction="down" if served_after < 2800 else "up",
        ),
        shift(
            "edge-gateway",
            "upstream_connections_opened_rate",
            20.0,
            2400.0,
            54.0,
            kind="saturation",
            labels={"upstream": "auth-api"},
        ),
        shift(
            "edge-gateway",
            "upstream_latency_seconds",
            0.015,
            1.9,
            60.0,
            kind="latency",
            labels={"upstream": "auth-api"},
        ),
        shift("auth-api", "cpu_usage_ratio", 0.42, 0.96, 12.0, kind="cpu"),
        shift("auth-api", "latency_p99_seconds", 0.12, 2.4, 160.0, kind="latency"),
    ]


def test_a_caller_opening_far_more_connections_on_flat_traffic_sends_the_load() -> None:
    evidence = evidence_of(_handshakes(served_after=2700.0))
    load_named(evidence, Params())
    assert evidence.services["auth-api"].load_from == ["edge-gateway"]
    passed_on = evidence_of(_handshakes(served_after=9000.0))
    load_named(passed_on, Params())
    assert passed_on.services["auth-api"].load_from == [], "its own callers sent more: passed-on load"


def test_a_caller_that_amplifies_its_calls_is_no_victim_of_the_service_it_overloads() -> None:
    evidence = evidence_of(_storm(served_after=61.0))
    evidence.services["checkout"].propagated_from = ["gateway"]
    load_named(evidence, Params())
    assert evidence.senders == {"checkout"} and evidence.services["checkout"].propagated_from == []
