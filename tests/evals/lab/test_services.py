"""The lab services' behaviour, called in-process (no supervisor): flags, admin faults, release
defects, the connection pool, the database's queue, and calls between two real servers."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from evals.lab.services.base import HttpError, LabService, Request, Route
from evals.lab.services.calls import CallError, ConnectionPool, Downstream, PoolTimeout
from evals.lab.services.db import Database
from evals.lab.services.runtime import Endpoints
from evals.lab.services.shop import Checkout
from evals.lab.services.telemetry import Telemetry
from evals.lab.state import read_changes, update_service_state
from evals.lab.topology import LabLayout
from knowledge.documents import Runbook, load_documents
from knowledge.retrieval import bundled_paths
from tests.support.net import free_port


class Echo(LabService):
    def routes(self) -> dict[tuple[str, str], Route]:
        return {("GET", "/echo"): lambda request: {"ok": True}}


class AlwaysLow:
    """A random source that always draws 0.0: every probabilistic fault fires."""

    def random(self) -> float:
        return 0.0

    def uniform(self, low: float, high: float) -> float:
        return low


def _call(service: LabService, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    status, raw, _ = service.dispatch(method, path, json.dumps(body).encode() if body is not None else b"")
    return status, json.loads(raw) if raw.startswith((b"{", b"[")) else raw


def _log(layout: LabLayout, service: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (layout.logs_dir / f"{service}.log").read_text().splitlines()]


def _runbook_log_check(runbook_id: str) -> re.Pattern[str]:
    runbook = next(d for d in load_documents(bundled_paths()[:1]) if d.id == runbook_id)
    assert isinstance(runbook, Runbook)
    return re.compile(str(next(c.log for c in runbook.checks if c.log)))


def test_version_flags_and_metrics(layout: LabLayout) -> None:
    service = Echo(layout, "payments")
    status, version = _call(service, "GET", "/version")
    assert status == 200 and version["version"] == "2.3.1" and version["service"] == "payments"
    assert _call(service, "GET", "/flags")[1] == {"3ds-challenge": True}
    status, flags = _call(service, "PUT", "/flags", {"flag": "3ds-challenge", "enabled": False, "by": "alice"})
    assert status == 200 and flags == {"3ds-challenge": False}
    change = read_changes(layout)[-1]
    assert change["kind"] == "flag" and change["flag"] == "3ds-challenge" and change["author"] == "alice"
    assert _call(service, "GET", "/echo")[0] == 200
    status, metrics, _ = service.dispatch("GET", "/metrics", b"")
    samples = _samples(metrics.decode())
    assert (
        samples[
            (
                "http_server_request_duration_seconds_count",
                (
                    ("http_request_method", "GET"),
                    ("http_response_status_code", "200"),
                    ("http_route", "/echo"),
                    ("service_name", "payments"),
                    ("url_scheme", "http"),
                ),
            )
        ]
        == 1.0
    )
    info = next(labels for name, labels in samples if name == "target_info")
    assert ("service_version", "2.3.1") in info, "the release is a resource attribute"
    assert not [name for name, _ in samples if name.startswith("lab_")], "standard names only"
    record = _log(layout, "payments")[-1]
    assert {"ts", "level", "msg", "service"} <= set(record) and record["service"] == "payments"


def test_admin_faults_local_and_environment(layout: LabLayout) -> None:
    service = Echo(layout, "inventory")
    assert _call(service, "POST", "/admin/fault", {"name": "pool_leak", "value": 0.5})[1] == {
        "local": {"pool_leak": 0.5}
    }
    assert _call(service, "POST", "/admin/fault", {"name": "cpu_ms", "value": 3})[1] == {"env": {"cpu_ms": 3.0}}
    other_replica = Echo(layout, "inventory", replica=1, port=1)
    assert other_replica.state.env("cpu_ms") == 3.0, "environment faults reach every replica"
    assert other_replica.faults == {}, "process faults stay in their process"
    assert _call(service, "POST", "/admin/fault", {"name": "nope"})[0] == 400
    _call(service, "DELETE", "/admin/fault")
    assert service.faults == {}


def test_process_faults_belong_to_the_pod(layout: LabLayout) -> None:
    """A container restarted in its pod (after a crash or an OOM kill) keeps them; a new pod starts clean."""
    first = Echo(layout, "checkout", pod="checkout-abcdefghij-x2x7q")
    _call(first, "POST", "/admin/fault", {"name": "memory_leak_mb_s", "value": 12})
    assert Echo(layout, "checkout", pod="checkout-abcdefghij-x2x7q").faults == {"memory_leak_mb_s": 12.0}
    assert Echo(layout, "checkout", pod="checkout-abcdefghij-zzzzz").faults == {}
    _call(first, "DELETE", "/admin/fault")
    assert Echo(layout, "checkout", pod="checkout-abcdefghij-x2x7q").faults == {}


def test_the_leak_grows_resident_memory_at_its_rate_and_says_so() -> None:
    from evals.lab.services.memory import SessionCache, leak_warning, resident_mb

    cache = SessionCache()
    try:
        cache.grow(40.0, now=0.0)
        before = resident_mb()
        added = cache.grow(40.0, now=0.5)
        grown = resident_mb() - before
    finally:
        cache.clear()
    assert added > 0 and grown >= 19.0, "0.5 s at 40 MB/s"
    assert _runbook_log_check("rb-memory-leak-oomkilled").search(leak_warning(20000, 65.0))


def test_a_defective_release_throws_with_a_traceback_the_runbook_recognises(layout: LabLayout) -> None:
    update_service_state(layout, "payments", lambda s: s.update(version="2.4.0", defects={"2.4.0": "errors"}))
    service = Echo(layout, "payments")
    service.rng = AlwaysLow()  # type: ignore[assignment]
    status, body = _call(service, "GET", "/echo")
    assert status == 500 and "TypeError" in body["error"]
    message = _log(layout, "payments")[-1]["msg"]
    assert _runbook_log_check("rb-bad-deploy-error-spike").search(message), message


def test_the_bad_flag_fails_orders_with_a_message_the_runbook_recognises(layout: LabLayout) -> None:
    update_service_state(layout, "checkout", lambda s: s["flags"].update({"new-tax-engine": True}))
    service = Checkout(layout, "checkout")
    service.rng = AlwaysLow()  # type: ignore[assignment]
    status, body = _call(service, "POST", "/orders", {"sku": "sku-1", "amount": 10})
    assert status == 500 and "new-tax-engine" in body["error"]
    message = _log(layout, "checkout")[-1]["msg"]
    assert _runbook_log_check("rb-bad-feature-flag").search(message), message


def test_a_leaking_pool_runs_dry_and_says_so(layout: LabLayout) -> None:
    pool = ConnectionPool(2, acquire_timeout_s=0.05)
    for _ in range(2):
        with pool.connection(leak=True):
            pass
    assert pool.in_use == 2 and pool.leaked == 2
    with pytest.raises(PoolTimeout) as caught, pool.connection():
        pass
    assert "2/2 in use" in str(caught.value)
    assert _runbook_log_check("rb-db-connection-pool-exhaustion").search(str(caught.value))


def test_database_queue_publish_consume_drain(layout: LabLayout) -> None:
    db = Database(layout, "db")
    for order in range(3):
        assert _call(db, "POST", "/queue/publish", {"queue": "order-events", "payload": {"order": order}})[0] == 200
    status, taken = _call(db, "POST", "/queue/consume", {"queue": "order-events", "max": 2})
    assert [m["payload"]["order"] for m in taken["messages"]] == [0, 1]
    assert _call(db, "GET", "/queue/stats")[1]["order-events"]["depth"] == 1
    assert _call(db, "POST", "/queue/drain", {"queue": "order-events", "target": "dead-letter"})[1]["drained"] == 1
    assert _call(db, "POST", "/queue/publish", {"queue": "nope"})[0] == 404
    assert _call(db, "POST", "/query", {"op": "select"})[1]["rows"] == 1


@pytest.fixture
def running_db(layout: LabLayout) -> Iterator[Database]:
    db = Database(layout, "db", port=free_port())
    server = db.bind()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield db
    finally:
        server.shutdown()
        server.server_close()
        db.stop()


def test_calls_between_real_servers_are_measured_in_the_semantic_conventions(running_db: Database) -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    layout = running_db.layout
    layout.endpoints_file.parent.mkdir(parents=True, exist_ok=True)
    layout.endpoints_file.write_text(json.dumps({"db": [running_db.port], "payments": [free_port()]}))
    registry = CollectorRegistry()
    downstream = Downstream(Endpoints(layout), Telemetry("checkout", "checkout-0", registry))
    assert downstream.call("db", "POST", "/query", {"op": "select"})["rows"] == 1
    with pytest.raises(CallError) as refused:
        downstream.call("payments", "POST", "/charge", {"amount": 1})
    assert refused.value.status == 0 and "connection refused" in str(refused.value)
    with pytest.raises(CallError) as missing:
        downstream.call("db", "GET", "/nope")
    assert missing.value.status == 404
    samples = _samples(generate_latest(registry).decode())
    assert (
        samples[
            (
                "http_client_request_duration_seconds_count",
                (
                    ("http_request_method", "POST"),
                    ("http_response_status_code", "200"),
                    ("server_address", "db"),
                    ("service_name", "checkout"),
                ),
            )
        ]
        == 1.0
    )
    assert (
        samples[
            (
                "http_client_request_duration_seconds_count",
                (
                    ("error_type", "connection_refused"),
                    ("http_request_method", "POST"),
                    ("server_address", "payments"),
                    ("service_name", "checkout"),
                ),
            )
        ]
        == 1.0
    ), "no answer: error.type, no status (semconv)"
    assert (
        samples[
            (
                "traces_service_graph_request_total",
                (("client", "checkout"), ("server", "db"), ("service_name", "checkout")),
            )
        ]
        == 2.0
    )
    assert (
        samples[
            (
                "traces_service_graph_request_failed_total",
                (("client", "checkout"), ("server", "payments"), ("service_name", "checkout")),
            )
        ]
        == 1.0
    )


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Exposition text as {(name, labels): value}, without the instrumentation scope's labels and empty ones
    (which Prometheus stores as absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = tuple(sorted((k, v) for k, v in sample.labels.items() if v and not k.startswith("otel_scope")))
            out[(sample.name, labels)] = sample.value
    return out


def test_a_slow_network_path_slows_every_outbound_call_and_is_logged(running_db: Database) -> None:
    from prometheus_client import CollectorRegistry

    layout = running_db.layout
    layout.endpoints_file.parent.mkdir(parents=True, exist_ok=True)
    layout.endpoints_file.write_text(json.dumps({"db": [running_db.port]}))
    slow: list[str] = []
    downstream = Downstream(
        Endpoints(layout),
        Telemetry("payments", "payments-0", CollectorRegistry()),
        link_delay=lambda: 0.7,
        on_slow=slow.append,
    )
    started = time.monotonic()
    assert downstream.call("db", "POST", "/query", {"op": "select"})["rows"] == 1
    assert time.monotonic() - started >= 0.55
    assert _runbook_log_check("rb-network-latency-slow-link").search(slow[0]), slow
    assert _call(running_db, "GET", "/version")[0] == 200, "the dependency itself answers as fast as ever"


def test_http_errors_carry_their_status(layout: LabLayout) -> None:
    class Teapot(LabService):
        def routes(self) -> dict[tuple[str, str], Route]:
            def brew(request: Request) -> Any:
                raise HttpError(503, "no water")

            return {("POST", "/brew"): brew}

    status, body = _call(Teapot(layout, "gateway"), "POST", "/brew", {})
    assert status == 503 and body == {"error": "no water"}
    assert _log(layout, "gateway")[-1]["level"] == "error"
