"""The diagnosis end to end on typed evidence: which fault a service's own signals suggest when no runbook
says more."""

from __future__ import annotations

from tests.support.telemetry import evidence_of, shift
from tools.rca.diagnose import Context, diagnose


def _errors_after(change_kind: str, family: str) -> list:  # type: ignore[type-arg]
    change = {"service": "inventory", "kind": change_kind, "family": family, "ts": -120.0,
              "minutes_before_onset": 2.0, "description": "DestinationRule http1MaxPendingRequests 1024 -> 10"}
    view = evidence_of([shift("inventory", "error_ratio", 0.001, 0.18, 60.0, kind="errors")], changes=[change])
    return diagnose(view, [], Context(alerted=["inventory"]))


def test_errors_right_after_a_config_change_with_no_deploy_suggest_the_config_not_a_release() -> None:
    assert _errors_after("config", "config")[0].category == "bad_config"
    assert _errors_after("deploy", "deploy")[0].category == "bad_deploy"


def test_a_victim_never_outranks_the_fault_it_propagates_from_when_that_fault_produces_its_symptom() -> None:
    """A backup job started from idle on the database's node; the orders pool ran dry behind the slow
    database. The pool is far louder (alerted, logs, probes failing), but the job's runaway explains it
    (runaway_job causes connection_pool_exhaustion), so the job leads."""
    from knowledge.documents import Runbook, load_documents
    from knowledge.retrieval import bundled_paths
    from tools.rca.evidence import read_evidence

    runbooks = [d for d in load_documents(bundled_paths()) if isinstance(d, Runbook)]
    job = [shift("db-backup", "cpu_usage_ratio", 0.0, 0.64, 10.0, kind="cpu")]
    pool = [shift("orders-svc", "db_pool_wait_seconds", 0.001, 0.75, 200.0, kind="latency"),
            shift("orders-svc", "db_pool_in_use_ratio", 0.3, 1.0, 60.0, kind="saturation"),
            shift("orders-svc", "latency_p99_seconds", 0.2, 2.3, 90.0, kind="latency"),
            shift("orders-svc", "error_ratio", 0.001, 0.2, 90.0, kind="errors")]
    waiting = "WARN HikariPool-1 - Connection is not available, request timed out after 3000ms"
    events = [{"service": "db-backup", "reason": "SuccessfulCreate", "type": "Normal",
               "message": "Job db-backup-manual-1410: Created pod: db-backup-manual-1410-kx7dq"},
              {"service": "orders-svc", "reason": "Unhealthy", "type": "Warning", "message": "Readiness probe failed"}]
    spikes = [{"service": "orders-svc", "template": waiting, "rate_before": 0, "rate_after": 20, "new": True,
               "error_like": True, "score": 50, "examples": [waiting]}]

    def leader(victim: bool) -> tuple[str, str]:
        records = [{"service": "orders-svc", "score": 20.0, "raw_score": 200.0, "fault_score": 200.0, "onset": 0.0,
                    "series": pool, "propagated_from": ["db-backup"] if victim else []},
                   {"service": "db-backup", "score": 3.0, "raw_score": 10.0, "fault_score": 10.0, "onset": -60.0,
                    "series": job}]
        view = read_evidence([{"id": "c1", "tool": "rank_anomalies", "status": "ok", "data": records},
                              {"id": "c2", "tool": "k8s_events", "status": "ok", "data": events},
                              {"id": "c3", "tool": "log_template_spikes", "status": "ok", "data": spikes}])
        best = diagnose(view, runbooks, Context(alerted=["orders-svc"]))[0]
        return best.service, best.category

    assert leader(victim=False) == ("orders-svc", "connection_pool_exhaustion"), "no relation: the louder leads"
    assert leader(victim=True) == ("db-backup", "runaway_job")
