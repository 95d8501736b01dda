"""Second opinions on who is a victim: a caller that multiplied its own calls keeps the blame for the load."""

from __future__ import annotations

from tests.support.telemetry import evidence_of, shift
from tools.rca.load import amplifies
from tools.rca.params import Params
from tools.rca.victims import reconcile_load

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
