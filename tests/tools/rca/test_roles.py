"""Roles: a fault inside a DNS or cache server is named by the job it fails at; the same fault inside an
ordinary service keeps its own name."""

from __future__ import annotations

from knowledge.documents import Runbook, load_documents
from knowledge.taxonomy import bundled_dir
from tests.support.telemetry import evidence_of, shift
from tools.rca.diagnose import Context, diagnose
from tools.rca.explain import Fit
from tools.rca.params import Params
from tools.rca.roles import is_datastore, name_by_role, role_of


def _oom_killed(service: str) -> list[dict]:
    """A server whose memory climbed until its pods were OOM-killed and restarted."""
    return [
        shift(service, "memory_usage_bytes", 1.2e8, 1.7e8, 30.0, kind="memory", signal="memory_usage_bytes"),
        shift(service, "restarts_total", 0.0, 6.0, 40.0, kind="restarts", signal="restarts_total"),
    ]


def _pods(service: str) -> list[dict]:
    return [
        {"name": f"{service}-{i}", "service": service, "node": "n1", "reasons": ["OOMKilled"], "ready": False}
        for i in range(2)
    ]


def _top(service: str) -> tuple[str, str]:
    runbooks = [d for d in load_documents([bundled_dir() / "runbooks"]) if isinstance(d, Runbook)]
    evidence = evidence_of(_oom_killed(service), pods=_pods(service))
    finding = diagnose(evidence, runbooks, Context(alerted=[service]), Params())[0]
    return finding.service, finding.category


def test_a_dns_server_killed_for_memory_is_dns_failing_and_an_ordinary_service_is_not() -> None:
    assert _top("coredns") == ("coredns", "dns_failure")
    service, category = _top("orders")
    assert service == "orders" and category not in ("dns_failure", "cache_failure")


def test_a_role_comes_from_the_service_name_or_its_exporter_metrics() -> None:
    sessions = evidence_of([shift("sessions", "redis_memory_used_bytes", 1e9, 4e9, 20.0, kind="memory")])
    assert role_of("sessions", sessions) == "cache_failure"
    assert role_of("kube-dns", evidence_of([])) == "dns_failure"
    # an application with a cache of its own is no cache server
    app = evidence_of([shift("query-svc", "cache_hit_ratio", 0.9, 0.2, 20.0, kind="availability")])
    assert role_of("query-svc", app) is None
    # a client's view of the Redis it calls says what it calls, not what it is
    caller = evidence_of(
        [shift("feed", "redis_commands_per_second", 1e3, 1e3, 1.0, kind="traffic", labels={"upstream": "redis"})]
    )
    assert role_of("feed", caller) is None and not is_datastore("feed", caller)


def test_the_role_takes_the_best_own_fault_and_the_cause_stays_behind_it() -> None:
    params = Params()
    fits = {
        "bad_config": Fit("bad_config", 0.8),
        "memory_leak": Fit("memory_leak", 0.5),
        "expired_credentials": Fit("expired_credentials", 0.9),
    }  # a client-side fault is the caller's own
    name_by_role("session-cache", fits, evidence_of([]), params)
    assert fits["cache_failure"].score == 0.8
    assert fits["bad_config"].score == 0.8 * params.role_cause_share
    assert fits["expired_credentials"].score == 0.9


def test_a_datastore_is_known_by_its_name_or_its_exporters_metrics() -> None:
    view = evidence_of(
        [
            shift("ledger", "pg_stat_activity_count", 10, 90, 20.0),
            shift("checkout", "error_ratio", 0.001, 0.3, 30.0, kind="errors"),
        ]
    )
    assert is_datastore("orders-db", view) and is_datastore("session-redis", view) and is_datastore("kafka-0", view)
    assert is_datastore("ledger", view), "a postgres exporter's metrics say what it is"
    assert not is_datastore("checkout", view) and not is_datastore("dbt-runner", view)
