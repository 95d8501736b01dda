"""The anomaly ranking: the injected service first, propagation resolved upstream, slow burns, flapping."""

from __future__ import annotations

import numpy as np

from tests.support.telemetry import T0, TIMES, labelled, series
from tools.rca.params import Params
from tools.rca.services import rank_services, shown_series
from tools.sources.base import Series

ANOMALY_THRESHOLD = Params().anomaly_threshold
SERIES_SHOWN = Params().series_shown


def test_injected_service_ranks_first_among_noisy_peers() -> None:
    data = [series(s, "latency_p99_seconds", 0.2, 0.02, seed=i) for i, s in enumerate("abcdef")]
    data += [series(s, "error_ratio", 0.01, 0.002, seed=i) for i, s in enumerate("abcdef")]
    data.append(series("d", "error_ratio", 0.01, 0.002, shift=0.2))
    ranked = rank_services(data, T0 - 120)
    assert ranked[0].service == "d"
    assert ranked[0].raw_score >= ANOMALY_THRESHOLD
    assert all(s.raw_score < ANOMALY_THRESHOLD for s in ranked[1:])
    assert abs(ranked[0].onset - (T0 - 360)) <= 60, "change-point onset found despite an imprecise hint"


def test_dependency_graph_prefers_the_upstream_most_anomalous_service() -> None:
    topology = {"gateway": ["checkout"], "checkout": ["payments"], "payments": []}
    data = [
        series("gateway", "error_ratio", 0.01, 0.002, shift=0.4, at=-300),
        series("checkout", "error_ratio", 0.01, 0.002, shift=0.3, at=-330),
        series("payments", "error_ratio", 0.01, 0.002, shift=0.1, at=-360),
    ]
    without = rank_services(data, T0, None)
    assert without[0].service == "gateway"  # the loudest service is the caller
    ranked = rank_services(data, T0, topology)
    assert ranked[0].service == "payments"
    assert "payments" in next(s for s in ranked if s.service == "gateway").propagated_from


def test_callers_singling_out_one_upstream_blame_it_when_it_shows_a_fault() -> None:
    topology = {"orders": ["inventory", "pricing"], "fulfillment": ["inventory"], "inventory": [], "pricing": []}
    quiet = [
        series(s, m, 0.05, 0.005, seed=i)
        for i, s in enumerate(["inventory", "pricing"])
        for m in ("latency_p99_seconds",)
    ]
    slow_calls = [
        labelled("orders", "upstream_latency_seconds", "inventory", 0.04, shift=1.2),
        labelled("orders", "upstream_latency_seconds", "pricing", 0.03, seed=3),
        labelled("fulfillment", "upstream_latency_seconds", "inventory", 0.04, shift=1.1, seed=4),
        series("orders", "latency_p99_seconds", 0.2, 0.01, shift=1.3),
        series("fulfillment", "latency_p99_seconds", 0.3, 0.015, shift=1.2),
    ]
    packet_loss = series("inventory", "packet_loss_ratio", 0.0001, 0.00005, shift=0.03)
    ranked = rank_services(quiet + slow_calls + [packet_loss], T0, topology)
    assert ranked[0].service == "inventory", [(s.service, s.score) for s in ranked]
    assert next(s for s in ranked if s.service == "orders").propagated_from == ["inventory"]


def test_a_caller_whose_calls_all_slowed_is_not_looking_at_one_upstream() -> None:
    topology = {"quote": ["carrier", "cache"], "carrier": [], "cache": []}
    data = [
        labelled("quote", "upstream_latency_seconds", "carrier", 0.2, shift=3.0),
        labelled("quote", "upstream_latency_seconds", "cache", 0.01, shift=0.5, seed=1),
        series("quote", "latency_p99_seconds", 0.5, 0.03, shift=4.0),
        series("carrier", "error_ratio", 0.001, 0.0005, shift=0.02),
        series("cache", "latency_p99_seconds", 0.004, 0.0004),
    ]
    ranked = rank_services(data, T0, topology)
    assert ranked[0].service == "quote", [(s.service, s.score) for s in ranked]
    assert not ranked[0].propagated_from


def test_an_uncorroborated_upstream_keeps_its_callers_blame() -> None:
    topology = {"quote": ["carrier", "cache"], "carrier": [], "cache": []}
    data = [
        labelled("quote", "upstream_latency_seconds", "carrier", 0.2, shift=3.0),
        labelled("quote", "upstream_latency_seconds", "cache", 0.01, seed=1),
        series("quote", "latency_p99_seconds", 0.5, 0.03, shift=4.0),
        series("carrier", "latency_p99_seconds", 0.2, 0.02),
    ]
    ranked = rank_services(data, T0, topology)
    assert ranked[0].service == "quote", "one caller, a healthy-looking upstream: the caller's own trouble"


def test_a_job_that_started_from_idle_explains_the_database_and_its_other_callers() -> None:
    topology = {"ledger": ["ledger-db"], "batch": ["ledger-db"], "ledger-db": []}
    data = [
        series("batch", "cpu_usage_ratio", 0.0, 0.0, shift=0.6, at=-480),
        series("batch", "request_rate", 0.0, 0.0, shift=140, at=-480),
        series("ledger-db", "db_query_p99_seconds", 0.02, 0.002, shift=0.9, at=-450),
        series("ledger-db", "request_rate", 1400, 40),
        series("ledger", "latency_p99_seconds", 0.06, 0.005, shift=1.3, at=-420),
    ]
    ranked = rank_services(data, T0, topology)
    by_name = {s.service: s for s in ranked}
    assert ranked[0].service == "batch", [(s.service, s.score) for s in ranked]
    assert by_name["ledger-db"].load_from == ["batch"]
    assert by_name["ledger"].propagated_from == ["batch"]


def test_an_edge_surge_through_a_shared_database_explains_the_other_callers() -> None:
    topology = {"public-api": ["stats-db", "player-api"], "player-api": ["stats-db"], "stats-db": []}
    data = [
        series("public-api", "request_rate", 1200, 50, shift=6600, at=-420),
        series("public-api", "latency_p99_seconds", 0.25, 0.03, shift=2.3, at=-390),
        series("stats-db", "request_rate", 2600, 100, shift=6500, at=-420),
        series("stats-db", "db_query_p99_seconds", 0.02, 0.004, shift=1.6, at=-390),
        series("player-api", "db_pool_wait_seconds", 0.001, 0.0008, shift=0.7, at=-330),
        series("player-api", "latency_p99_seconds", 0.12, 0.015, shift=2.1, at=-360),
    ]
    ranked = rank_services(data, T0, topology)
    by_name = {s.service: s for s in ranked}
    assert ranked[0].service == "public-api", [(s.service, s.score) for s in ranked]
    assert by_name["stats-db"].load_from == ["public-api"]
    assert by_name["player-api"].propagated_from == ["public-api"]
    assert not by_name["public-api"].propagated_from, "the load's source is not explained by its own victims"


def test_a_record_shows_every_metric_however_many_stronger_series_crowd_it() -> None:
    """A runbook check reads a metric from the service's record: a quiet metric is still shown, the
    strongest series of a crowded metric fill the rest."""
    data = []
    for i in range(20):
        one = series("api", "latency_p99_seconds", 0.2, 0.01, shift=0.5 + i / 10, seed=i)
        data.append(Series({**one.labels, "endpoint": f"/e{i}"}, one.times, one.values))
    data.append(series("api", "cpu_throttled_ratio", 0.3, 0.05))
    shown = [(s.metric, s.score) for s in shown_series(rank_services(data, T0 - 360)[0].series)]
    assert [m for m, _ in shown].count("latency_p99_seconds") == SERIES_SHOWN
    assert "cpu_throttled_ratio" in [m for m, _ in shown]
    assert [score for _, score in shown] == sorted((score for _, score in shown), reverse=True)


def test_a_starved_service_is_not_a_job_that_started_but_one_whose_work_began_from_idle_is() -> None:
    from tools.rca.load import became_active

    starved = [
        series("inventory", "cpu_throttled_ratio", 0.0, 0.0, shift=0.9),
        series("inventory", "cpu_usage_ratio", 0.07, 0.005, shift=1.1),
    ]
    started = [series("nightly-report", "cpu_usage_ratio", 0.0, 0.0, shift=0.8)]
    ranked = {r.service: r for r in rank_services(starved + started, T0 - 120)}
    assert not became_active(ranked["inventory"], Params())
    assert became_active(ranked["nightly-report"], Params())


def test_percentiles_of_one_histogram_count_as_one_signal() -> None:
    """p90, p95 and p99 of one latency histogram moving together are one observation, not three: a
    service whose availability fell further outranks one whose one histogram shifted."""
    slow = [
        series("search", metric, 0.2, 0.01, shift=0.12, seed=i)
        for i, metric in enumerate(("latency_p90_seconds", "latency_p95_seconds", "latency_p99_seconds"))
    ]
    values = np.full(TIMES.shape, 100.0)
    values[T0 - 360 <= TIMES] = 95.0
    failing = Series({"__name__": "availability_percent", "service": "listings"}, TIMES.copy(), values)
    ranked = rank_services([*slow, failing], T0 - 120)
    assert ranked[0].service == "listings", [(r.service, r.score) for r in ranked]


def test_without_a_graph_a_caller_slowed_by_its_calls_is_listed_below_the_service_doing_the_slow_work() -> None:
    caller = [
        series("web", "latency_p99_seconds", 0.5, 0.02, shift=20.0),
        series("web", "client_latency_p99_seconds", 0.05, 0.003, shift=4.0),
        series("web", "cpu_usage_ratio", 0.4, 0.02),
    ]
    worker = [
        series("fx", "latency_p99_seconds", 0.3, 0.02, shift=4.0),
        series("fx", "client_latency_p99_seconds", 0.05, 0.003),
        series("fx", "cpu_usage_ratio", 0.5, 0.02, shift=0.4),
    ]
    ranked = rank_services(caller + worker, T0)
    by_name = {r.service: r for r in ranked}
    assert by_name["web"].waiting and not by_name["fx"].waiting
    assert by_name["web"].score > by_name["fx"].score, "the caller is the louder of the two"
    assert ranked[0].service == "fx", [(r.service, r.score) for r in ranked]


def test_a_starved_caller_whose_calls_slowed_too_is_not_waiting_on_them() -> None:
    starved = [
        series("web", "latency_p99_seconds", 0.5, 0.02, shift=20.0),
        series("web", "client_latency_p99_seconds", 0.05, 0.003, shift=4.0),
        series("web", "cpu_usage_ratio", 0.4, 0.02, shift=0.5),
    ]
    ranked = rank_services(starved + [series("fx", "latency_p99_seconds", 0.3, 0.02)], T0)
    assert ranked[0].service == "web" and not ranked[0].waiting


def test_strain_that_began_long_after_the_load_rose_is_not_that_loads_doing() -> None:
    """A replica whose lag climbs 15 minutes after an on-sale raised its reads has a cause of its own; the
    same lag climbing with the reads is the load's."""
    topology = {"orders": ["replica"], "replica": []}

    def replica_lag_at(lag_at: float) -> list[str]:
        data = [
            series("orders", "request_rate", 45, 3, shift=95, at=-1860),
            series("replica", "request_rate", 2100, 80, shift=1200, at=-1860),
            series("replica", "replication_lag_seconds", 0.3, 0.1, shift=800, at=lag_at),
        ]
        by_name = {s.service: s for s in rank_services(data, T0, topology)}
        return by_name["replica"].load_from

    assert replica_lag_at(-960) == []
    assert replica_lag_at(-1830) == ["orders"]


def test_a_job_that_started_is_not_explained_by_the_service_it_floods() -> None:
    """A campaign job idle before and busy after is no victim of the sender it calls, even when the
    sender's lag (from the job's first batches) shows before the job's own series turn."""
    topology = {"campaign-job": ["sender"], "signup": ["sender"], "sender": []}
    data = [
        series("campaign-job", "emails_enqueued_rate", 0.05, 0.02, shift=1200, at=-600),
        series("campaign-job", "cpu_usage_ratio", 0.001, 0.0005, shift=0.6, at=-600),
        series("campaign-job", "latency_p99_seconds", 0.2, 0.02, shift=1.5, at=-570),
        series("sender", "consumer_lag_seconds", 3, 0.5, shift=900, at=-900),
        series("signup", "request_rate", 50, 2),
    ]
    by_name = {s.service: s for s in rank_services(data, T0, topology)}
    assert by_name["campaign-job"].propagated_from == []


def test_callers_with_one_dependency_each_single_nothing_out() -> None:
    """Two callers that call only the database, both squeezed on a busy machine: their calls to it slowed
    with everything else they do. That is no vote against a database whose own queries did not slow."""
    data = [
        labelled("orders", "upstream_latency_seconds", "db", 0.02, shift=0.6),
        labelled("cart", "upstream_latency_seconds", "db", 0.02, shift=0.5, seed=2),
        series("orders", "latency_p99_seconds", 0.2, 0.01, shift=0.9),
        series("cart", "latency_p99_seconds", 0.2, 0.01, shift=0.8, seed=3),
        series("db", "db_query_p99_seconds", 0.01, 0.001),
    ]
    by_name = {s.service: s for s in rank_services(data, T0, None)}
    assert not [a for a in by_name["db"].series if a.service != "db"], "the callers' views count for db"


def test_a_caller_that_multiplied_its_calls_is_not_merely_waiting_on_them() -> None:
    def gateway(fan_out: float) -> bool:
        data = [
            series("gateway", "latency_p99_seconds", 0.3, 0.02, shift=2.6),
            series("gateway", "request_rate", 330.0, 8.0),
            labelled("gateway", "upstream_latency_seconds", "product", 0.035, shift=2.3),
            labelled("gateway", "upstream_request_rate", "product", 330.0, shift=330.0 * fan_out, seed=2),
        ]
        return next(r for r in rank_services(data, T0) if r.service == "gateway").waiting

    assert gateway(fan_out=0.0), "slower calls at the same rate: it waits on them"
    assert not gateway(fan_out=11.0), "twelve times the calls on flat traffic: it overloads what it waits on"


def test_full_scans_on_a_database_are_its_own_plan_not_load_a_faulty_caller_sent() -> None:
    """A database whose table scans multiplied while no caller sent more requests is not loaded by the
    caller that happens to be anomalous too: its callers waiting on it propagate from it."""
    topology = {"invoice-api": ["invoice-db"], "reporting-svc": ["invoice-db"], "invoice-db": []}
    data = [
        series("invoice-db", "seq_scan_rate", 0.15, 0.05, shift=11, at=-420),
        series("invoice-db", "db_query_p99_seconds", 0.01, 0.002, shift=2.4, at=-420),
        series("invoice-api", "request_rate", 300, 10),
        series("invoice-api", "db_pool_wait_seconds", 0.001, 0.0008, shift=1.4, at=-390),
        series("invoice-api", "latency_p99_seconds", 0.3, 0.03, shift=5.7, at=-390),
        series("reporting-svc", "request_rate", 12, 1),
        series("reporting-svc", "latency_p99_seconds", 2.2, 0.2, shift=1.9, at=-450),
    ]
    by_name = {s.service: s for s in rank_services(data, T0, topology)}
    assert by_name["invoice-db"].load_from == [], "scans are the plan's work, not load"
    assert by_name["invoice-api"].propagated_from == ["invoice-db"]


def test_a_dependency_slow_from_one_region_only_is_the_callers_path_not_the_dependency() -> None:
    """payments-svc calls an external PSP from two regions; only the eu-west calls slowed. The PSP answers
    us-east as before: the trouble is on eu-west's path, the caller's side, not the PSP's."""

    def regional(region: str, shift: float) -> Series:
        data = series("payments-svc", "upstream_latency_seconds", 0.3, 0.02, shift=shift, seed=len(region))
        return Series({**data.labels, "upstream": "psp-gateway", "region": region}, data.times, data.values)

    data = [
        regional("eu-west", 2.5),
        regional("us-east", 0.0),
        series("payments-svc", "latency_p99_seconds", 0.5, 0.04, shift=2.6),
    ]
    by_name = {s.service: s for s in rank_services(data, T0, {"payments-svc": ["psp-gateway"]})}
    assert "psp-gateway" not in by_name or by_name["psp-gateway"].raw_score < ANOMALY_THRESHOLD
    assert by_name["payments-svc"].raw_score >= ANOMALY_THRESHOLD
    both = [
        regional("eu-west", 2.5),
        Series({**regional("us-east", 2.5).labels}, TIMES, regional("us-east", 2.5).values),
    ]
    assert "psp-gateway" in {s.service for s in rank_services(both, T0)}, "slow from everywhere: the PSP's"


def test_rejections_pinned_on_one_pod_of_another_service_count_for_that_service() -> None:
    """orders-api counts the tokens it rejects by the auth-svc pod that issued them; only one pod's rose.
    That pod's trouble is auth-svc's, however quiet auth-svc's own series are."""

    def by_issuer(pod: str, shift: float) -> Series:
        data = series("orders-api", "jwt_rejections_per_second", 0.3, 0.1, shift=shift, seed=len(pod))
        return Series({**data.labels, "issuer_pod": pod}, data.times, data.values)

    data = [
        by_issuer("auth-svc-6c8d9f7b4-x7qlp", 0.0),
        by_issuer("auth-svc-6c8d9f7b4-k2m9q", 110.0),
        by_issuer("auth-svc-6c8d9f7b4-r5tzn", 0.0),
        series("auth-svc", "request_rate", 95, 5),
    ]
    by_name = {s.service: s for s in rank_services(data, T0)}
    assert by_name["auth-svc"].raw_score >= ANOMALY_THRESHOLD
    assert any(s.labels.get("issuer_pod") == "auth-svc-6c8d9f7b4-k2m9q" for s in by_name["auth-svc"].series)
    everywhere = [by_issuer(p, 110.0) for p in ("auth-svc-6c8d9f7b4-x7qlp", "auth-svc-6c8d9f7b4-k2m9q")]
    everywhere.append(series("auth-svc", "request_rate", 95, 5))
    quiet = {s.service: s for s in rank_services(everywhere, T0)}
    assert quiet["auth-svc"].raw_score < ANOMALY_THRESHOLD, "every pod alike: nothing singles one out"


def test_with_no_onset_known_a_step_hours_back_in_a_coarser_past_is_found() -> None:
    """A vague report ("since yesterday evening"): a day read at 10-minute steps, then three hours at 1-minute
    steps, errors stepped up 20 h ago. The quick screen takes the window's first part for the calm before and
    the step lies inside it; with no onset known, every series gets the change-point search."""
    now = T0 + 3 * 3600.0
    times = np.concatenate([np.arange(now - 24 * 3600, now - 3 * 3600, 600.0), np.arange(now - 3 * 3600, now, 60.0)])
    rng = np.random.default_rng(7)
    errors = np.where(times >= now - 20 * 3600, 0.94, 0.006) + rng.normal(0, 0.002, len(times))
    calm = 0.3 + rng.normal(0, 0.01, len(times))
    data = [
        Series({"__name__": "error_ratio", "service": "export-worker"}, times, errors),
        Series({"__name__": "cpu_usage_ratio", "service": "export-worker"}, times, calm),
    ]
    params = Params(lookback_s=24 * 3600.0)
    found = rank_services(data, now - 600, None, params, onset_known=False)
    assert found[0].raw_score >= params.anomaly_threshold and found[0].series[0].metric == "error_ratio"
    screened = rank_services(data, now - 600, None, params)
    assert screened[0].raw_score < params.anomaly_threshold, "the screen alone misses it: the test reads the fix"


def test_the_client_certificate_a_caller_presents_is_its_own_whoever_it_is_for() -> None:
    """A series of the client certificate payments presents to the bank carries ``upstream=bank``: it is
    payments' to renew, not a reading of the bank."""
    expiring = labelled("payments", "client_cert_expiry_seconds", "bank", 2700.0, shift=-2650.0)
    calls = labelled("payments", "upstream_error_ratio", "bank", 0.002, shift=0.5, seed=1)
    ranked = {
        r.service: [s.metric for s in r.series] for r in rank_services([expiring, calls], T0, {"payments": ["bank"]})
    }
    assert "client_cert_expiry_seconds" in ranked["payments"]
    assert "client_cert_expiry_seconds" not in ranked.get("bank", [])
    assert "upstream_error_ratio" in ranked.get("bank", []), "its calls to the bank still speak for the bank"


def test_a_service_that_serves_far_less_under_more_requests_lost_capacity_of_its_own() -> None:
    """Its callers' retries doubled its requests while it refused nine in ten of them (a search cluster
    whose disk went read-only): load would have left it serving what it served, so the load explains
    nothing. The same doubling with a modest error rise is the load's."""
    topology = {"ingest": ["search"], "search": []}

    def load_from(errors_after: float) -> list[str]:
        data = [
            series("ingest", "request_rate", 380, 10, shift=420, at=-600),
            series("search", "request_rate", 380, 10, shift=430, at=-600),
            series("search", "error_ratio", 0.001, 0.0003, shift=errors_after, at=-600),
        ]
        by_name = {s.service: s for s in rank_services(data, T0, topology)}
        return by_name["search"].load_from

    assert load_from(0.93) == []
    assert load_from(0.05) == ["ingest"]


def test_a_dependency_another_caller_still_reaches_is_the_failing_callers_side() -> None:
    """notifications-api's calls to a push vendor fail (its own file descriptors ran out); campaign-worker's
    calls to the same vendor go on as before. The vendor is not down: the failing caller's side is."""

    def calls(caller: str, shift: float) -> Series:
        data = series(caller, "upstream_error_ratio", 0.002, 0.0006, shift=shift, seed=len(caller))
        return Series({**data.labels, "upstream": "push-vendor"}, data.times, data.values)

    data = [calls("notifications-api", 0.4), calls("campaign-worker", 0.0)]
    graph = {"notifications-api": ["push-vendor"], "campaign-worker": ["push-vendor"]}
    by_name = {s.service: s for s in rank_services(data, T0, graph)}
    assert "push-vendor" not in by_name or by_name["push-vendor"].raw_score < ANOMALY_THRESHOLD
    assert by_name["notifications-api"].raw_score >= ANOMALY_THRESHOLD
    both = [calls("notifications-api", 0.4), calls("campaign-worker", 0.4)]
    everyone = {s.service: s for s in rank_services(both, T0, graph)}
    assert everyone["push-vendor"].raw_score >= ANOMALY_THRESHOLD, "failing for every caller: the vendor's"
