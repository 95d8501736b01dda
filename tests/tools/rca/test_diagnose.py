"""The diagnosis end to end on typed evidence: which fault a service's own signals suggest when no runbook
says more."""

from __future__ import annotations

from tests.support.telemetry import evidence_of, shift
from tools.rca.diagnose import Context, diagnose


def _errors_after(change_kind: str, family: str) -> list:  # type: ignore[type-arg]
    change = {
        "service": "inventory",
        "kind": change_kind,
        "family": family,
        "ts": -120.0,
        "minutes_before_onset": 2.0,
        "description": "DestinationRule http1MaxPendingRequests 1024 -> 10",
    }
    view = evidence_of([shift("inventory", "error_ratio", 0.001, 0.18, 60.0, kind="errors")], changes=[change])
    return diagnose(view, [], Context(alerted=["inventory"]))


def test_errors_right_after_a_config_change_with_no_deploy_suggest_the_config_not_a_release() -> None:
    assert _errors_after("config", "config")[0].category == "bad_config"
    assert _errors_after("deploy", "deploy")[0].category == "bad_deploy"


def test_a_job_run_tied_to_the_trouble_is_a_runaway_job_whatever_it_does_loudest() -> None:
    """A backup started by hand reads at full disk speed: its loudest signal is its work, not a fault."""
    from tools.rca.diagnose import _fallback

    def fallback(linked: str) -> str:
        run = {
            "service": "pg-backup",
            "kind": "job",
            "family": "job",
            "minutes_before_onset": 0.0,
            "description": "job pg-backup manual run",
            "linked": linked,
            "link_strength": 1.0 if linked else 0.0,
        }
        view = evidence_of(
            [shift("pg-backup", "disk_read_bytes_per_second", 0.0, 1.9e9, 120.0, kind="io")], changes=[run]
        )
        return _fallback("pg-backup", view)

    assert fallback("the trouble began 0 min after it") == "runaway_job"
    assert fallback("") != "runaway_job", "a job that ran with nothing tied to it is not the cause"


def test_a_signal_the_vocabulary_does_not_know_is_named_by_the_change_tied_to_it() -> None:
    from tools.rca.diagnose import _fallback

    def fallback(family: str, linked: str) -> str:
        change = {
            "service": "edge",
            "kind": family,
            "family": family,
            "minutes_before_onset": 0.0,
            "description": "edge: proxy-body-size 10m",
            "linked": linked,
            "link_strength": 1.0 if linked else 0.0,
        }
        view = evidence_of([shift("edge", "http_4xx_ratio", 0.002, 0.09, 10.0, kind="other")], changes=[change])
        return _fallback("edge", view)

    assert fallback("config", "the trouble began 0 min after it") == "bad_config"
    assert fallback("deploy", "the trouble began 3 min after it") == "bad_deploy"
    assert fallback("config", "") == "dependency_outage", "an untied change names nothing"


def test_a_victim_never_outranks_the_fault_it_propagates_from_when_that_fault_produces_its_symptom() -> None:
    """A backup job started from idle on the database's node; the orders pool ran dry behind the slow
    database. The pool is far louder (alerted, logs, probes failing), but the job's runaway explains it
    (runaway_job causes connection_pool_exhaustion), so the job leads."""
    from knowledge.documents import Runbook, load_documents
    from knowledge.retrieval import bundled_paths
    from tools.rca.evidence import read_evidence

    runbooks = [d for d in load_documents(bundled_paths()) if isinstance(d, Runbook)]
    job = [shift("db-backup", "cpu_usage_ratio", 0.0, 0.64, 10.0, kind="cpu")]
    pool = [
        shift("orders-svc", "db_pool_wait_seconds", 0.001, 0.75, 200.0, kind="latency"),
        shift("orders-svc", "db_pool_in_use_ratio", 0.3, 1.0, 60.0, kind="saturation"),
        shift("orders-svc", "latency_p99_seconds", 0.2, 2.3, 90.0, kind="latency"),
        shift("orders-svc", "error_ratio", 0.001, 0.2, 90.0, kind="errors"),
    ]
    waiting = "WARN HikariPool-1 - Connection is not available, request timed out after 3000ms"
    events = [
        {
            "service": "db-backup",
            "reason": "SuccessfulCreate",
            "type": "Normal",
            "message": "Job db-backup-manual-1410: Created pod: db-backup-manual-1410-kx7dq",
        },
        {"service": "orders-svc", "reason": "Unhealthy", "type": "Warning", "message": "Readiness probe failed"},
    ]
    spikes = [
        {
            "service": "orders-svc",
            "template": waiting,
            "rate_before": 0,
            "rate_after": 20,
            "new": True,
            "error_like": True,
            "score": 50,
            "examples": [waiting],
        }
    ]

    def leader(victim: bool) -> tuple[str, str]:
        records = [
            {
                "service": "orders-svc",
                "score": 20.0,
                "raw_score": 200.0,
                "fault_score": 200.0,
                "onset": 0.0,
                "series": pool,
                "propagated_from": ["db-backup"] if victim else [],
            },
            {
                "service": "db-backup",
                "score": 3.0,
                "raw_score": 10.0,
                "fault_score": 10.0,
                "onset": -60.0,
                "series": job,
            },
        ]
        view = read_evidence(
            [
                {"id": "c1", "tool": "rank_anomalies", "status": "ok", "data": records},
                {"id": "c2", "tool": "k8s_events", "status": "ok", "data": events},
                {"id": "c3", "tool": "log_template_spikes", "status": "ok", "data": spikes},
            ]
        )
        best = diagnose(view, runbooks, Context(alerted=["orders-svc"]))[0]
        return best.service, best.category

    assert leader(victim=False) == ("orders-svc", "connection_pool_exhaustion"), "no relation: the louder leads"
    assert leader(victim=True) == ("db-backup", "runaway_job")


def test_a_callers_view_of_a_slow_vendor_is_the_vendors_fault() -> None:
    """Calls to a hosted feature store went from 8 ms to 2.5 s; the caller's threads and GC suffer. Both the
    caller and the vendor fit "a slow dependency link" — the same fault, seen from the client's side — so
    the caller, whose trouble propagates from the vendor, ranks below it."""
    from knowledge.documents import Check, Runbook
    from tools.rca.evidence import read_evidence

    link = Runbook(
        id="rb-link",
        kind="runbook",
        title="slow link",
        category="network_latency",
        services=["*"],
        path="l.md",
        checks=[
            Check(name="calls slower", metric="upstream_latency_seconds", expect="up", weight=3),
            Check(name="timeouts in logs", log="(?i)timeout|deadline", weight=2),
        ],
    )
    calls = shift(
        "recs", "upstream_latency_seconds", 0.008, 2.5, 60.0, kind="latency", labels={"upstream": "fstore-saas"}
    )
    own = [
        calls,
        shift("recs", "latency_p99_seconds", 0.18, 3.8, 200.0, kind="latency"),
        shift("recs", "gc_pause_seconds", 0.01, 0.12, 50.0, kind="latency"),
    ]
    timeout = "ERROR GET /v1/recs 504: feature fetch deadline exceeded"
    spikes = [
        {"service": "recs", "template": timeout, "new": True, "error_like": True, "score": 40, "examples": [timeout]}
    ]

    def leader(propagated: bool) -> str:
        records = [
            {
                "service": "recs",
                "score": 22.0,
                "raw_score": 200.0,
                "fault_score": 200.0,
                "onset": 0.0,
                "series": own,
                "propagated_from": ["fstore-saas"] if propagated else [],
            },
            {
                "service": "fstore-saas",
                "score": 6.7,
                "raw_score": 60.0,
                "fault_score": 60.0,
                "onset": 0.0,
                "series": [calls],
            },
        ]
        view = read_evidence(
            [
                {"id": "c1", "tool": "rank_anomalies", "status": "ok", "data": records},
                {"id": "c2", "tool": "log_template_spikes", "status": "ok", "data": spikes},
            ]
        )
        return diagnose(view, [link], Context(alerted=["recs"], topology={"recs": ["fstore-saas"]}))[0].service

    assert leader(propagated=False) == "recs", "no relation: the louder leads"
    assert leader(propagated=True) == "fstore-saas"


def test_a_sender_is_judged_by_the_trouble_it_loads_unless_that_trouble_repeats_daily() -> None:
    """A job with no trouble of its own is tied to the changes before the database trouble it loads; a
    nightly shape seen yesterday and last week is the schedule, not a change's doing."""
    from tools.rca.changes import Symptoms
    from tools.rca.diagnose import _senders_see
    from tools.rca.records import Trend

    view = evidence_of([shift("catalog-db", "db_query_p99_seconds", 0.42, 2.29, 44.7, kind="latency")])
    view.services["catalog-db"].load_from = ["catalog-reindex"]
    view.senders = {"catalog-reindex"}
    seen = {"catalog-db": Symptoms(onset=600.0, trend_starts=[])}
    assert _senders_see(seen, view)["catalog-reindex"].onset == 600.0
    key = view.services["catalog-db"].series[0].key
    view.trends[key] = Trend(key=key, service="catalog-db", metric="db_query_p99_seconds", repeats=["1d", "7d"])
    assert "catalog-reindex" not in _senders_see(seen, view)
