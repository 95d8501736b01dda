"""Verdicts and the ranking around them: false alarms recognised from the evidence, not from the alert's
name; victims told from causes by their own trouble."""

from __future__ import annotations

from typing import Any

from tests.support.telemetry import evidence_of
from tests.support.telemetry import shift as anomaly
from tools.rca.diagnose import Context, diagnose
from tools.rca.evidence import Evidence
from tools.rca.params import Params
from tools.rca.records import Finding
from tools.rca.verdict import no_fault


def view_of(
    series: list[dict[str, Any]], pods: list[dict[str, Any]] | None = None, spikes: list[dict[str, Any]] | None = None
) -> Evidence:
    extra = {k: v for k, v in (("pods", pods), ("spikes", spikes)) if v is not None}
    return evidence_of(series, **extra)


def rank_hypotheses(view: Evidence, alerted: list[str], topology: dict[str, list[str]] | None = None) -> list[Finding]:
    return diagnose(view, [], Context(alerted=alerted, topology=topology or {}))


def night_traffic(requests_per_second: float, error_ratio: float) -> list[dict[str, object]]:
    failing = requests_per_second * error_ratio
    return [
        anomaly("appointments", "error_ratio", 0.003, error_ratio, 10.0, kind="errors"),
        anomaly("appointments", "http_5xx_per_second", failing / 20, failing, 12.0, kind="errors"),
        anomaly("appointments", "request_rate", requests_per_second, requests_per_second, 0.2, kind="traffic"),
    ]


def test_a_large_error_ratio_of_a_handful_of_requests_is_no_fault() -> None:
    view = view_of(night_traffic(0.35, 0.065))
    hypotheses = rank_hypotheses(view, ["appointments"])
    assert hypotheses[0].category == "no_fault"
    assert "fewer than" in hypotheses[0].clues[0].summary


def test_the_same_ratio_at_daytime_traffic_is_a_fault() -> None:
    view = view_of(night_traffic(300.0, 0.065))
    assert rank_hypotheses(view, ["appointments"])[0].category != "no_fault"


def test_a_quiet_service_that_mostly_fails_is_down_not_quiet() -> None:
    view = view_of(night_traffic(0.05, 0.9))
    assert rank_hypotheses(view, ["appointments"])[0].category != "no_fault"


def test_a_spike_already_draining_by_itself_without_errors_is_no_fault() -> None:
    draining = [
        {**anomaly("matchmaking", "queue_depth", 300.0, 4200.0, 130.0, kind="queue"), "recovering": True},
        {**anomaly("matchmaking", "consumer_lag_seconds", 2.0, 41.0, 140.0, kind="latency"), "recovering": True},
    ]
    assert rank_hypotheses(view_of(draining), ["matchmaking"])[0].category == "no_fault"
    stuck = [{**a, "recovering": False} for a in draining]
    assert rank_hypotheses(view_of(stuck), ["matchmaking"])[0].category != "no_fault"


def test_a_caller_whose_own_pods_lost_their_node_is_not_merely_propagating() -> None:
    series = [
        anomaly("tracking", "latency_p99_seconds", 0.18, 5.0, 200.0, kind="latency"),
        anomaly("tracking", "error_ratio", 0.002, 0.29, 58.0, kind="errors"),
        anomaly("geo", "latency_p99_seconds", 0.04, 1.2, 200.0, kind="latency"),
        anomaly("geo", "error_ratio", 0.001, 0.08, 16.0, kind="errors"),
    ]

    def ranked(reasons: list[str]) -> str:
        view = view_of(
            series,
            pods=[
                {"name": "tracking-1", "service": "tracking", "node": "n1", "reasons": reasons},
                {"name": "geo-1", "service": "geo", "node": "n1", "reasons": ["NodeLost"]},
            ],
        )
        view.services["tracking"].propagated_from = ["geo"]
        view.services["tracking"].score = view.services["geo"].score = 10.0
        return rank_hypotheses(view, ["tracking"])[0].service

    assert ranked(["NodeLost"]) == "tracking"
    assert ranked(["Unhealthy"]) == "geo", "failing probes can be a dependency's doing"


def test_error_logs_that_name_an_upstream_count_for_the_upstream_not_for_the_caller() -> None:
    """ "stripe ... failed: 503" in payments' logs is payments' symptom and evidence about stripe; a caller's
    own new errors ("NullPointerException") still count for the caller."""
    series = [
        anomaly("payments", "error_ratio", 0.002, 0.38, 60.0, kind="errors"),
        anomaly("payments", "upstream_error_ratio", 0.003, 0.42, 60.0, kind="errors"),
    ]

    def evidence(template: str) -> dict[str, list[str]]:
        view = view_of(
            series,
            spikes=[{"service": "payments", "template": template, "error_like": True, "new": True, "examples": []}],
        )
        hypotheses = rank_hypotheses(view, ["payments"], topology={"payments": ["stripe"]})
        return {h.service: [e.summary for e in h.clues] for h in hypotheses}

    blamed = evidence("ERROR stripe POST /v1/payment_intents/<*> failed: 503 Service Unavailable")
    assert not any(line.startswith("payments logs") for line in blamed["payments"])
    assert any("name stripe" in line for line in blamed["stripe"])
    own = evidence("ERROR NullPointerException in ChargeBuilder.total")
    assert any(line.startswith("payments logs") for line in own["payments"])


def test_a_blip_that_already_recovered_during_a_rollout_is_no_fault_unless_a_pod_is_still_in_trouble() -> None:
    """A rolling restart's minute of slow requests and reset connections, all back to normal: Killing and
    readiness events tell of the moment that passed; only a pod in trouble now says it did not."""
    blip = [
        anomaly("billing", "latency_p99_seconds", 0.19, 0.93, 15.8, kind="latency", recovering=True),
        anomaly("billing", "error_ratio", 0.001, 0.02, 9.0, kind="errors", recovering=True),
    ]
    rollout = [
        {"service": "billing", "reason": "Killing", "type": "Warning"},
        {"service": "billing", "reason": "Unhealthy", "type": "Warning", "message": "Readiness probe failed"},
    ]
    healthy = [{"name": "billing-1", "service": "billing", "ready": True, "reasons": []}]
    view = evidence_of(blip, events=rollout, pods=healthy)
    assert diagnose(view, [], Context(alerted=["billing"]))[0].category == "no_fault"
    stuck = evidence_of(blip, events=rollout, pods=[{**healthy[0], "ready": False, "reasons": ["CrashLoopBackOff"]}])
    assert diagnose(stuck, [], Context(alerted=["billing"]))[0].category != "no_fault"


def test_a_job_that_took_a_node_explains_the_slow_pods_of_others_on_it() -> None:
    """Two gateway pods on worker-7 slow and throttled, the others fine; a batch job went from idle to
    busy on worker-7 just before: the job, not the gateway, is the root."""
    on7 = {"node": "worker-7"}
    series = [
        anomaly("gateway", "latency_p99_seconds", 0.19, 2.5, 120.0, kind="latency", labels=on7),
        anomaly("gateway", "cpu_throttled_ratio", 0.02, 0.67, 94.0, kind="cpu", labels=on7),
        anomaly("etl", "cpu_usage_ratio", 0.0, 15.1, 180.0, kind="cpu", labels=on7),
    ]
    pods = [
        {"name": "gw-1", "service": "gateway", "node": "worker-7"},
        {"name": "gw-2", "service": "gateway", "node": "worker-3"},
        {"name": "etl-1", "service": "etl", "node": "worker-7"},
    ]
    assert rank_hypotheses(view_of(series, pods=pods), ["gateway"])[0].service == "etl"
    elsewhere = [{**p, "node": "worker-9"} if p["service"] == "etl" else p for p in pods]
    apart = [s if s["service"] == "gateway" else {**s, "labels": {"node": "worker-9"}} for s in series]
    assert rank_hypotheses(view_of(apart, pods=elsewhere), ["gateway"])[0].service == "gateway"


def test_a_caller_whose_errors_name_the_service_it_calls_is_looking_at_that_service() -> None:
    """transfers' calls to ledger fail with x509 errors that name ledger, and transfers has nothing of its
    own to blame: the fault is ledger's. A caller with its own pool exhausted keeps the blame."""
    calls = [
        anomaly("transfers", "error_ratio", 0.004, 0.6, 119.0, kind="errors"),
        anomaly("transfers", "tls_handshake_errors", 0.0, 41.0, 60.0, kind="errors", labels={"upstream": "ledger"}),
        anomaly("ledger", "request_rate", 126.0, 0.0, 5.0, kind="traffic"),
    ]
    spike = [
        {
            "service": "transfers",
            "error_like": True,
            "new": True,
            "template": "ERROR ledger client: Post https://ledger.banking.svc/v1/postings: "
            "x509: certificate has expired",
        }
    ]
    topology = {"transfers": ["ledger"], "ledger": []}

    def leader(series: list[dict[str, object]]) -> str:
        view = view_of(series, spikes=spike)
        view.services["transfers"].score, view.services["ledger"].score = 12.0, 2.0  # as the ranking sums them
        return rank_hypotheses(view, ["transfers"], topology)[0].service

    assert leader(calls) == "ledger"
    assert (
        leader([*calls, anomaly("transfers", "db_pool_in_use_ratio", 0.3, 1.0, 30.0, kind="saturation")]) == "transfers"
    ), "its own pool ran out: it blames what it waits for"


def test_a_database_saying_what_load_makes_it_say_is_still_loaded_by_its_caller() -> None:
    """'remaining connection slots are reserved' and slow-statement logs are what more load than it can
    take makes a database say; a crash of its own ('FATAL: could not open file') is its own trouble."""
    from tools.rca.victims import _own_trouble

    def trouble(template: str) -> bool:
        spike = {"service": "db", "template": template, "error_like": True, "new": True}
        return _own_trouble("db", evidence_of([anomaly("db", "cpu_usage_ratio", 0.3, 0.9, 20.0)], spikes=[spike]))

    assert not trouble("FATAL: remaining connection slots are reserved for non-replication superuser connections")
    assert not trouble("ERROR: canceling statement due to statement timeout")
    assert trouble('FATAL: could not open file "base/16384/2601": No such file or directory')


def _probed_from(places_failing: list[str], own_errors: float) -> list[Finding]:
    """checkout probed from three regions; the regions in ``places_failing`` see every probe fail."""
    series = [
        anomaly("checkout", "error_ratio", 0.002, own_errors, 150.0 if own_errors > 0.1 else 0.3, kind="errors"),
        anomaly("checkout", "request_rate", 420.0, 430.0, 0.5, kind="traffic"),
    ]
    for region in ("us-east", "eu-west", "ap-south"):
        failing = region in places_failing
        series += [
            anomaly(
                "checkout",
                "probe_success",
                1.0,
                0.0 if failing else 1.0,
                200.0 if failing else 0.0,
                direction="down",
                kind="availability",
                labels={"probe_region": region},
            ),
            anomaly(
                "catalog",
                "probe_success",
                1.0,
                0.0 if failing else 1.0,
                200.0 if failing else 0.0,
                direction="down",
                kind="availability",
                labels={"probe_region": region},
            ),
        ]
    return rank_hypotheses(view_of(series), ["checkout"])


def test_probes_failing_from_one_place_only_while_the_service_serves_are_no_fault() -> None:
    found = _probed_from(["eu-west"], own_errors=0.002)
    assert found[0].category == "no_fault" and "probe_region=eu-west" in found[0].clues[0].summary
    assert _probed_from(["eu-west", "us-east", "ap-south"], own_errors=0.002)[0].category != "no_fault", (
        "failing from everywhere: the service is down for everyone"
    )
    assert _probed_from(["eu-west"], own_errors=0.4)[0].category != "no_fault", "its own errors rose: users see it"
    two = _probed_from(["eu-west", "ap-south"], own_errors=0.002)
    assert two[0].category == "no_fault" and "probe_region=ap-south, eu-west" in two[0].clues[0].summary


def test_probes_failing_from_some_places_are_no_fault_even_after_a_release_of_the_service() -> None:
    """A release cannot explain failures seen only from some places while what it serves did not change."""
    deploy = {"service": "checkout", "kind": "deploy", "family": "deploy", "minutes_before_onset": 10.0}
    series = [
        anomaly("checkout", "error_ratio", 0.002, 0.002, 0.3, kind="errors"),
        anomaly("checkout", "request_rate", 420.0, 430.0, 0.5, kind="traffic"),
    ] + [
        anomaly(
            "checkout",
            "probe_success",
            1.0,
            0.0 if failing else 1.0,
            200.0 if failing else 0.0,
            direction="down",
            kind="availability",
            labels={"location": place},
        )
        for place, failing in [("fra", True), ("par", True), ("iad", False), ("sin", False)]
    ]
    found = rank_hypotheses(evidence_of(series, changes=[deploy]), ["checkout"])
    assert found[0].category == "no_fault", [(f.service, f.category) for f in found]


def test_a_volume_filling_since_hours_ago_is_no_false_alarm_for_the_little_it_moved_within_the_window() -> None:
    """Within the window a steady climb moves little and a blip elsewhere has recovered; the long past shows
    the volume has been filling for hours: that is the trouble, not a transient."""
    window = [
        {**anomaly("orders-db", "wal_archived_per_minute", 0.0, 0.14, 14.0, kind="other"), "recovering": True},
        anomaly("orders-db", "disk_usage_ratio", 0.87, 0.94, 2.5, kind="disk"),
    ]
    trend = {
        "key": 'disk_usage_ratio{service="orders-db"}',
        "service": "orders-db",
        "metric": "disk_usage_ratio",
        "trend_start": -7 * 3600.0,
        "compared": ["1d"],
        "burn_score": 39.0,
        "burn_before": 0.41,
    }
    assert rank_hypotheses(view_of(window), ["orders-db"])[0].category == "no_fault"
    burning = rank_hypotheses(evidence_of(window, trends=[trend]), ["orders-db"])
    assert burning[0].category != "no_fault" and burning[0].service == "orders-db"


def _weekly(cpu_onset: float) -> Evidence:
    """The Monday invoice run: latency, CPU and the renderer's CPU rise together; the latency and the renderer's
    past were read (both repeat last week's), the billing CPU's was not."""
    series = [
        anomaly("billing", "cpu_usage_ratio", 0.3, 0.7, 12.5, kind="cpu", onset=cpu_onset),
        anomaly("billing", "thread_pool_active_ratio", 0.2, 0.55, 11.0, kind="saturation", onset=cpu_onset),
        anomaly("billing", "latency_p99_seconds", 0.3, 1.1, 5.5, kind="latency"),
        anomaly("renderer", "cpu_usage_ratio", 0.08, 0.62, 12.2, kind="cpu"),
    ]
    trends = [
        {"key": s["key"], "service": s["service"], "metric": s["metric"], "repeats": ["7d"], "compared": ["1d", "7d"]}
        for s in series[2:]
    ]
    return evidence_of(series, trends=trends)


def test_an_unread_shift_that_began_with_its_services_repeating_one_is_the_same_episode() -> None:
    def verdict(cpu_onset: float) -> Finding | None:
        view = _weekly(cpu_onset)
        return no_fault(view, ["billing"], Params(), {k for k, t in view.trends.items() if t.repeats})

    together = verdict(60.0)
    assert together is not None and "recurring shape" in together.summary
    apart = verdict(3600.0)
    assert apart is None or "recurring shape" not in apart.summary, "an hour apart is its own story, its past unread"


def test_restarts_a_rolling_deploy_explains_are_no_fault_but_more_restarts_than_pods_are() -> None:
    """A rollout restarts each replica once: one restart per pod at a deploy, every pod ready now, is the
    release going out. Twice as many restarts, or a pod not ready, is something crashing."""
    deploy = [
        {
            "service": "payments-api",
            "kind": "deploy",
            "family": "deploy",
            "minutes_before_onset": 2.0,
            "version": "v4.8.2",
        }
    ]
    pods = [{"name": f"payments-api-{i}", "service": "payments-api", "ready": True, "reasons": []} for i in range(6)]

    def verdict(restarts: float, ready: bool = True) -> str:
        shifts = [anomaly("payments-api", "restarts_total", 0.0, restarts, 12.0, kind="restarts")]
        view = evidence_of(shifts, changes=deploy, pods=[{**p, "ready": ready or i > 0} for i, p in enumerate(pods)])
        return diagnose(view, [], Context(alerted=["payments-api"]))[0].category

    assert verdict(6.0) == "no_fault"
    assert verdict(14.0) != "no_fault", "more restarts than a rollout makes"
    assert verdict(6.0, ready=False) != "no_fault", "a pod not ready after the rollout"


def test_a_release_whose_only_errors_are_connections_cut_by_old_pods_shutting_down_is_no_fault() -> None:
    """Mid-rollout, still slow: no recovery to see yet. But the only new errors are requests cut off as old
    pods shut down, every pod is ready and restarted once at most: a rolling restart, not a bad release."""
    slow = [anomaly("orders", "latency_p99_seconds", 0.21, 0.34, 6.6, kind="latency")]
    release = [
        {"service": "orders", "kind": "deploy", "family": "deploy", "minutes_before_onset": 0.0, "version": "v3.41.0"}
    ]
    pods = [{"name": f"orders-{i}", "service": "orders", "ready": True, "reasons": []} for i in range(3)]

    def verdict(line: str) -> str:
        view = evidence_of(
            slow,
            changes=release,
            pods=pods,
            spikes=[{"service": "orders", "template": line, "error_like": True, "new": True}],
        )
        return diagnose(view, [], Context(alerted=["orders"]))[0].category

    assert verdict("ERROR POST /api/orders 502 upstream connection reset during shutdown") == "no_fault"
    assert verdict("ERROR POST /api/orders 500 NullPointerException in OrderMapper") != "no_fault", (
        "errors of its own: the new version fails"
    )


def _newcomers(
    not_found_after: float, requests_after: float, server_errors: float = 0.001, limiter_logs: bool = False
) -> list[Finding]:
    """A gateway whose traffic tripled while its 4xx ratio rose (a scanner asking for paths that do not
    exist), its CPU carrying the load with headroom."""
    series = [
        anomaly("gateway", "request_rate", 640.0, requests_after, 11.0, kind="traffic"),
        anomaly("gateway", "http_4xx_ratio", 0.034, not_found_after, 33.0),
        anomaly("gateway", "cpu_usage_ratio", 0.28, 0.46, 6.0, kind="cpu"),
        anomaly("gateway", "error_ratio", 0.001, server_errors, 0.3 if server_errors < 0.01 else 20.0, kind="errors"),
    ]
    spikes = (
        [
            {
                "service": "gateway",
                "template": "WARN 429 Too Many Requests: rate limit exceeded for key <*>",
                "examples": ["WARN 429 Too Many Requests: rate limit exceeded for key k1"],
                "error_like": True,
                "ratio": 10.0,
                "new": True,
            }
        ]
        if limiter_logs
        else None
    )
    return rank_hypotheses(view_of(series, spikes=spikes), ["gateway"])


def test_new_requests_that_fail_on_their_own_while_the_old_are_served_are_no_fault() -> None:
    """Added failures no more than the added requests, successes not fewer: a scanner's 404s. The same 4xx
    rise at the same traffic is the service refusing its callers; a server-error rise, or a limiter saying
    its refusals are over rate, is not the newcomers' doing."""
    found = _newcomers(0.311, 1930.0)
    assert found[0].category == "no_fault" and "fail on their own" in found[0].summary
    assert _newcomers(0.311, 700.0)[0].category != "no_fault", "failures beyond the requests added"
    assert _newcomers(0.311, 1930.0, server_errors=0.08)[0].category != "no_fault"
    assert _newcomers(0.311, 1930.0, limiter_logs=True)[0].category != "no_fault"


def _timed(server_p99: float, caller_p99: float, caller_score: float = 0.4) -> list[Finding]:
    """search-api's own p99 jumped after a release; web times its calls to search-api."""
    series = [
        anomaly("search-api", "latency_p99_seconds", 0.29, server_p99, 200.0, kind="latency"),
        anomaly("search-api", "latency_p95_seconds", 0.19, server_p99 * 0.6, 200.0, kind="latency"),
        anomaly(
            "web",
            "upstream_latency_seconds",
            0.31,
            caller_p99,
            caller_score,
            kind="latency",
            labels={"upstream": "search-api"},
        ),
        anomaly("web", "upstream_error_ratio", 0.003, 0.002, 0.2, kind="errors", labels={"upstream": "search-api"}),
    ]
    return rank_hypotheses(view_of(series), ["search-api"])


def test_a_latency_only_the_server_reports_while_its_callers_time_the_calls_unchanged_is_a_measurement() -> None:
    """A caller's time for a call includes the server's: a server p99 of 9.6 s under callers measuring
    0.32 s is the measure that changed. When the callers see the calls slow too, it is real."""
    found = _timed(9.6, 0.32)
    assert found[0].category == "no_fault" and "measurement changed" in found[0].summary
    assert _timed(9.6, 8.0, caller_score=60.0)[0].category != "no_fault"
    assert "measurement changed" not in _timed(0.5, 0.32)[0].summary, "within what callers' timing allows"
