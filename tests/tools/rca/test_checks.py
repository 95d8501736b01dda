"""Runbook checks against the evidence: what a metric's move, a level, Kubernetes state confirm."""

from __future__ import annotations

from typing import Any

from knowledge.documents import Check, Runbook
from tests.support.telemetry import evidence_of
from tests.support.telemetry import shift as anomaly
from tools.rca.checks import evaluate_runbook
from tools.rca.evidence import Evidence, read_evidence
from tools.rca.explain import category_fits
from tools.rca.params import Params


def runbook(*checks: Check) -> Runbook:
    return Runbook(
        id="rb-test",
        kind="runbook",
        title="test",
        category="bad_deploy",
        services=["*"],
        checks=list(checks),
        path="test.md",
    )


def view_of(
    series: list[dict[str, Any]], nodes: list[dict[str, Any]] | None = None, pods: list[dict[str, Any]] | None = None
) -> Evidence:
    extra = {k: v for k, v in (("nodes", nodes), ("pods", pods)) if v is not None}
    return evidence_of(series, **extra)


def outcome(check: Check, service: str, view: Evidence) -> tuple[bool, bool]:
    result = evaluate_runbook(runbook(check), service, view, Params())[0]
    return result.observed, result.confirmed


def test_started_means_idle_before_and_busy_after() -> None:
    check = Check(name="job began", metric="cpu_usage_ratio", expect="started", weight=3)
    assert outcome(check, "job", view_of([anomaly("job", "cpu_usage_ratio", 0.0, 0.6, 100.0)])) == (True, True)
    assert outcome(check, "api", view_of([anomaly("api", "cpu_usage_ratio", 0.3, 0.9, 20.0)])) == (True, False)
    # a scale-out's new pod starts from nothing beside pods that were busy all along: no job began
    scaled = view_of(
        [
            anomaly("api", "cpu_usage_ratio", 0.0, 0.05, 30.0, labels={"pod": "api-new"}),
            anomaly("api", "cpu_usage_ratio", 0.7, 1.0, 4.0, labels={"pod": "api-old"}),
        ]
    )
    assert outcome(check, "api", scaled) == (True, False)


def test_traffic_from_nothing_is_not_a_surge_over_normal() -> None:
    check = Check(name="request rate far above normal", metric="request_rate", expect="up", weight=3)
    idle = view_of([anomaly("job", "request_rate", 0.0, 140.0, 50.0)])
    busy = view_of([anomaly("api", "request_rate", 1200.0, 7800.0, 13.0)])
    assert outcome(check, "job", idle) == (True, False)
    assert outcome(check, "api", busy) == (True, True)


def test_a_level_that_held_all_along_is_not_news_unless_it_keeps_worsening() -> None:
    check = Check(name="CPU at the limit", metric="cpu_throttled_ratio", expect="above:0.3", weight=3)
    flat = view_of([anomaly("w", "cpu_throttled_ratio", 0.34, 0.35, 0.1)])
    crossed = view_of([anomaly("w", "cpu_throttled_ratio", 0.04, 0.77, 0.5)])
    burning = view_of([anomaly("w", "cpu_throttled_ratio", 0.45, 0.55, 2.5)])
    assert outcome(check, "w", flat) == (True, False)
    assert outcome(check, "w", crossed) == (True, True)
    assert outcome(check, "w", burning) == (True, True)


def test_a_volume_past_its_mark_that_has_climbed_for_days_is_a_burn_not_a_plateau() -> None:
    """A data node at 95%: within the hour it barely moved, but its longer past shows days of steady climb."""
    check = Check(name="volume nearly full", metric="disk_usage_ratio", expect="above:0.9", weight=3)
    disk = [anomaly("es", "disk_usage_ratio", 0.9275, 0.9502, 0.7, kind="disk")]
    climb = {"key": disk[0]["key"], "service": "es", "metric": "disk_usage_ratio", "trend_start": -4 * 86400.0}
    assert outcome(check, "es", view_of(disk)) == (True, False), "at the mark all hour long: no news"
    assert outcome(check, "es", evidence_of(disk, trends=[climb])) == (True, True)


def test_time_left_under_its_threshold_is_trouble_however_long_it_has_been_there() -> None:
    """A certificate five days from expiry was five days and an hour away an hour ago: not news by the
    window, but a countdown only shrinks, so under the threshold it holds."""
    check = Check(name="close to expiry", metric="cert_expiry_seconds", expect="below:604800", weight=3)
    days_left = view_of([anomaly("edge", "cert_expiry_seconds", 435_600, 432_000, 0.1, direction="down")])
    months_left = view_of([anomaly("edge", "cert_expiry_seconds", 7_779_600, 7_776_000, 0.1, direction="down")])
    assert outcome(check, "edge", days_left) == (True, True)
    assert outcome(check, "edge", months_left) == (True, False)


def test_a_healthy_level_that_held_all_along_rules_a_cause_out() -> None:
    """ "CPU below 0.7" asks for the metric's healthy side: staying there is the confirmation, not stale news."""
    check = Check(name="CPU not the bottleneck", metric="cpu_usage_ratio", expect="below:0.7", weight=1)
    assert outcome(check, "db-user", view_of([anomaly("db-user", "cpu_usage_ratio", 0.06, 0.05, 0.0)])) == (True, True)
    assert outcome(check, "hot", view_of([anomaly("hot", "cpu_usage_ratio", 0.3, 0.95, 40.0)])) == (True, False)
    hit_ratio = Check(name="hit ratio collapsed", metric="cache_hit_ratio", expect="below:0.5", weight=3)
    always_cold = view_of([anomaly("cache", "cache_hit_ratio", 0.2, 0.21, 0.1, direction="up")])
    assert outcome(hit_ratio, "cache", always_cold) == (True, False), "a symptom that held all along is not news"


def test_a_healthy_reading_of_a_service_with_no_ready_replica_rules_nothing_out() -> None:
    """A crash-looping service makes no calls, so its dependencies' error ratio reads 0: that is not health."""
    check = Check(name="dependencies healthy", metric="upstream_error_ratio", expect="below:0.02", weight=1)
    quiet = [anomaly("inventory", "upstream_error_ratio", 0.0, 0.0, 0.0)]
    crashing = [{"name": "inventory-1", "service": "inventory", "ready": False, "reasons": ["CrashLoopBackOff"]}]
    assert outcome(check, "inventory", view_of(quiet, pods=crashing)) == (False, False)
    serving = [*crashing, {"name": "inventory-2", "service": "inventory", "ready": True, "reasons": []}]
    assert outcome(check, "inventory", view_of(quiet, pods=serving)) == (True, True)
    assert outcome(check, "inventory", view_of(quiet)) == (True, True), "no pods seen: the reading stands"


def test_a_callers_view_counts_only_for_a_service_without_telemetry_of_its_own() -> None:
    check = Check(name="calls failing", metric="upstream_error_ratio", expect="up", weight=2)
    seen_by_caller = anomaly("caller", "upstream_error_ratio", 0.001, 0.2, 40.0)
    with_own = view_of(
        [
            {**seen_by_caller},
            anomaly("db", "latency_p99_seconds", 0.01, 0.011, 0.2),
            {**seen_by_caller, "service": "caller"},
        ]
    )
    with_own.services["db"].series.append(with_own.services["caller"].series[0])
    external = view_of([{**seen_by_caller}, {**anomaly("stripe", "x", 0, 0, 0), "key": "-"}])
    external.services["stripe"].series = [external.services["caller"].series[0]]
    assert outcome(check, "db", with_own) == (False, False)
    assert outcome(check, "stripe", external) == (True, True)


def test_nodes_failing_across_a_zone_are_not_one_nodes_failure() -> None:
    single = Check(name="node hosting the service NotReady", kubernetes="NodeNotReady", weight=3)
    zone = Check(name="zone down", kubernetes="ZoneNotReady", weight=2)
    pods = [{"name": "api-1", "service": "api", "node": "n1"}]
    one_node = view_of(
        [], nodes=[{"name": "n1", "ready": False, "zone": "a"}, {"name": "n2", "ready": True, "zone": "a"}], pods=pods
    )
    whole_zone = view_of(
        [],
        nodes=[
            {"name": "n1", "ready": False, "zone": "a"},
            {"name": "n2", "ready": False, "zone": "a"},
            {"name": "n3", "ready": True, "zone": "b"},
        ],
        pods=pods,
    )
    assert outcome(single, "api", one_node) == (True, True)
    assert outcome(single, "api", whole_zone) == (True, False)
    assert outcome(zone, "api", whole_zone) == (True, True)
    assert outcome(zone, "api", one_node) == (False, False), "no zone-wide failure proves little either way"


def test_a_kubelet_back_off_event_is_the_crash_loop_it_reports() -> None:
    """``kubectl get events`` shows a crash loop as reason BackOff, "Back-off restarting failed container":
    the CrashLoopBackOff check must see it even when no pod is caught waiting in that state."""
    check = Check(name="pods in CrashLoopBackOff", kubernetes="CrashLoopBackOff", weight=3)

    def events(*items: dict[str, Any]) -> Evidence:
        return read_evidence([{"id": "c1", "tool": "k8s_events", "status": "ok", "data": list(items)}])

    crash = {
        "service": "inventory",
        "reason": "BackOff",
        "type": "Warning",
        "message": "Back-off restarting failed container inventory in pod inventory-7d9f_lab",
    }
    pull = {
        "service": "inventory",
        "reason": "BackOff",
        "type": "Warning",
        "message": 'Back-off pulling image "registry.local/inventory:2.4.0"',
    }
    assert outcome(check, "inventory", events(crash)) == (True, True)
    assert outcome(check, "inventory", events(pull)) == (True, False)
    assert outcome(Check(name="image", kubernetes="ImagePullBackOff", weight=2), "inventory", events(pull)) == (
        True,
        True,
    )
    assert outcome(
        Check(name="any back-off", kubernetes="BackOff", weight=1),
        "inventory",
        events({**crash, "message": "Back-off for an unknown reason"}),
    ) == (True, True)


def test_a_later_consequence_that_has_not_happened_yet_does_not_count_against() -> None:
    """A leak caught while memory climbs, before its first OOM kill: the kill's absence is "not yet"."""
    growing = Check(name="memory growing", metric="memory_usage_bytes", expect="up", weight=3)
    climbing = [anomaly("lobby", "memory_usage_bytes", 2e8, 4e8, 12.0, kind="memory")]

    def fit(later: bool, reasons: list[str] | None = None) -> float:
        killed = Check(name="pods OOMKilled", kubernetes="OOMKilled", weight=3, later=later)
        view = view_of(climbing, pods=[{"service": "lobby", "name": "lobby-1", "reasons": reasons or []}])
        outcomes = evaluate_runbook(runbook(growing, killed), "lobby", view, Params())
        assert outcomes[1].observed and outcomes[1].confirmed == bool(reasons)
        return category_fits([runbook(growing, killed)], "lobby", view, Params())["bad_deploy"].score

    assert fit(later=True) > fit(later=False) + 0.1
    assert fit(later=True, reasons=["OOMKilled"]) > fit(later=True), "seen, a later consequence still counts fully"
    alone = category_fits(
        [runbook(growing)], "lobby", view_of(climbing, pods=[{"service": "lobby", "name": "lobby-1"}]), Params()
    )["bad_deploy"].score
    assert fit(later=True) == alone, "looked for and not there yet: no evidence either way, not an unknown"


def test_a_climb_from_nothing_is_a_start_not_a_leak() -> None:
    """A batch job's memory from 0 to 3 GB rises steadily too, but the process was not there before."""
    check = Check(name="memory climbing steadily", metric="memory_usage_bytes", expect="rising", weight=3)
    leak = view_of([anomaly("lobby", "memory_usage_bytes", 2.9e9, 3.7e9, 30.0, kind="memory", trend_start=-3600.0)])
    job = view_of([anomaly("batch", "memory_usage_bytes", 0.0, 3.1e9, 180.0, kind="memory", trend_start=-3600.0)])
    assert outcome(check, "lobby", leak) == (True, True)
    assert outcome(check, "batch", job) == (True, False)


def test_a_check_of_callers_reads_the_callers_evidence() -> None:
    """A server's expired certificate shows in its clients' handshake errors, not in its own series."""
    check = Check(
        name="callers' handshakes failing", metric="tls_handshake_errors", expect="up", weight=2, of="callers"
    )
    view = view_of(
        [
            anomaly("transfers", "tls_handshake_errors", 0.0, 41.0, 200.0, kind="errors"),
            anomaly("ledger", "request_rate", 126.0, 0.0, 5.0, kind="traffic"),
        ]
    )
    view.topology = {"transfers": ["ledger"], "ledger": []}
    assert outcome(check, "ledger", view) == (True, True)
    assert outcome(check, "transfers", view) == (False, False), "nobody calls transfers: nothing to read"
    quiet = view_of([anomaly("transfers", "tls_handshake_errors", 0.0, 0.0, 0.0, kind="errors")])
    quiet.topology = view.topology
    assert outcome(check, "ledger", quiet) == (True, False)


def test_a_service_outside_the_call_graph_is_read_through_every_other_service() -> None:
    """DNS is called by everyone and named by no one: with coredns in the graph but calling nobody and
    called by nobody, its clients are all the other services; a service with dependencies of its own and
    no callers (the edge) still has none."""
    check = Check(name="clients' DNS lookups failing", metric="dns_errors", expect="up", weight=3, of="callers")
    view = view_of(
        [
            anomaly("checkout", "dns_errors", 0.0, 14.0, 200.0, kind="errors"),
            anomaly("coredns", "latency_p99_seconds", 0.004, 2.5, 200.0, kind="latency"),
        ]
    )
    view.topology = {"gateway": ["checkout"], "checkout": [], "coredns": []}
    assert outcome(check, "coredns", view) == (True, True)
    assert outcome(check, "gateway", view) == (False, False), "the edge calls others; nobody calls it"
    assert outcome(check, "checkout", view) == (False, False), "checkout's only caller shows no DNS errors"


def test_a_job_run_kubernetes_recorded_confirms_a_job_check_where_no_change_feed_did() -> None:
    check = Check(name="a job run recorded", change="job", within="1h", weight=2)
    created = {
        "service": "db-backup",
        "reason": "SuccessfulCreate",
        "type": "Normal",
        "message": "Job db-backup-manual-1410: Created pod: db-backup-manual-1410-kx7dq",
    }
    scaled = {**created, "message": "Created pod: web-7f9c-x2k4l", "service": "db-backup"}
    feed: list[dict[str, Any]] = []
    with_job = evidence_of(
        [anomaly("db-backup", "cpu_usage_ratio", 0.0, 0.6, 80.0, kind="cpu")], events=[created], changes=feed
    )
    without = evidence_of(
        [anomaly("db-backup", "cpu_usage_ratio", 0.0, 0.6, 80.0, kind="cpu")], events=[scaled], changes=feed
    )
    assert outcome(check, "db-backup", with_job) == (True, True)
    assert outcome(check, "db-backup", without) == (True, False)


def test_a_log_check_reads_the_clusters_warnings_about_the_service() -> None:
    """A kubelet's pull error is logged as an event, not by the service: a log check reads both."""
    check = Check(name="registry refuses", log=r"(?i)pull.{0,200}401 unauthorized", weight=3)
    refused = {
        "service": "orders-worker",
        "reason": "Failed",
        "type": "Warning",
        "message": 'Failed to pull image "registry.internal/orders-worker:3.1": ... 401 Unauthorized',
    }
    calls = [
        {"id": "c1", "tool": "log_template_spikes", "status": "ok", "data": []},
        {"id": "c2", "tool": "k8s_events", "status": "ok", "data": [refused]},
    ]
    assert outcome(check, "orders-worker", read_evidence(calls)) == (True, True)
    calm = {**refused, "type": "Normal"}
    calls[1]["data"] = [calm]
    assert outcome(check, "orders-worker", read_evidence(calls)) == (True, False), "a Normal event is no complaint"


def test_a_service_with_no_logs_of_its_own_speaks_through_its_callers_logs_naming_it() -> None:
    """A hosted vendor writes no logs here; its callers' error logs call it by its name without "-saas"."""
    check = Check(name="timeouts in logs", log=r"(?i)deadline exceeded|read timeout", weight=2)
    line = "ERROR GET /v1/recommendations 504: feature fetch failed: featurestore deadline exceeded"
    spikes = [
        {
            "service": "recommendations",
            "template": line,
            "new": True,
            "error_like": True,
            "score": 40,
            "examples": [line],
        }
    ]
    view = read_evidence([{"id": "c1", "tool": "log_template_spikes", "status": "ok", "data": spikes}])
    assert outcome(check, "featurestore-saas", view) == (True, True)
    assert outcome(check, "catalog-api", view) == (True, False), "a service the lines do not name"
    refused = "ERROR bank-gateway POST /v2/authorisations failed: remote error: tls: expired certificate"
    rejected = [{**spikes[0], "service": "payments", "template": refused, "examples": [refused]}]
    view = read_evidence([{"id": "c1", "tool": "log_template_spikes", "status": "ok", "data": rejected}])
    expired = Check(name="expired certificate errors", log=r"(?i)expired certificate", weight=2)
    assert outcome(expired, "bank-gateway", view) == (True, False), (
        "the bank refusing the certificate we present is our credential, not the bank speaking"
    )


def test_a_level_check_reads_the_worst_series_and_a_clock_off_since_last_week_still_counts() -> None:
    """One node's clock 960 s ahead for three days moves no z-score; the noisier nodes score higher. The
    level check reads the worst level, and a clock that stays off is trouble however long it has been."""
    check = Check(name="clock offset from NTP", metric="clock_skew_seconds", expect="above:0.5", weight=3)
    nodes = [
        anomaly(
            "upload-api",
            "node_timex_offset_seconds",
            0.0003,
            0.0006,
            1.2,
            kind="clock",
            signal="clock_skew_seconds",
            labels={"node": "ip-1"},
        ),
        anomaly(
            "upload-api",
            "node_timex_offset_seconds",
            960.0,
            960.0,
            0.0,
            kind="clock",
            signal="clock_skew_seconds",
            labels={"node": "ip-9"},
        ),
    ]
    assert outcome(check, "upload-api", view_of(nodes)) == (True, True)
    assert outcome(check, "upload-api", view_of(nodes[:1])) == (True, False)


def test_a_key_changed_days_ago_confirms_only_failures_about_keys() -> None:
    check = Check(name="a credential rotated", change="credential", within="168h", weight=3)
    rotated = [
        {
            "service": "upload-api",
            "kind": "secret",
            "family": "credential",
            "minutes_before_onset": 2880.0,
            "description": "rotated S3 access key",
        }
    ]
    errors = [anomaly("upload-api", "error_ratio", 0.001, 0.24, 50.0, kind="errors")]

    def confirmed(line: str) -> bool:
        view = evidence_of(
            errors,
            changes=rotated,
            spikes=[{"service": "upload-api", "template": line, "error_like": True, "new": True}],
        )
        return outcome(check, "upload-api", view)[1]

    assert confirmed("ERROR PutObject failed: 403 InvalidAccessKeyId")
    assert not confirmed("ERROR PutObject failed: 500 InternalError"), "failures that are not about keys"
    assert not confirmed("ERROR PutObject failed: 403 RequestTimeTooSkewed"), "a refusal over time, not a key"


def test_a_401_in_a_size_or_a_share_is_no_authentication_error() -> None:
    import re

    from knowledge.documents import load_documents
    from knowledge.retrieval import bundled_paths

    runbook_ = next(
        d for d in load_documents(bundled_paths()) if isinstance(d, Runbook) and d.id == "rb-expired-credentials"
    )
    pattern = re.compile(str(next(c for c in runbook_.checks if c.name == "authentication errors in logs").log))
    assert pattern.search("ERROR GET /v1/token 401 Unauthorized")
    assert not pattern.search("INFO backup file base/16384/8162 (1GB, 401%) checksum 15f74432")
    assert not pattern.search("INFO copied 403 MB in 12s")
    assert not pattern.search("WARN pgxpool stat: acquired_conns=25 max_conns=25 empty_acquire_count=401")
    assert pattern.search("WARN upstream answered status=403")


def test_a_node_ready_again_long_before_the_latest_events_is_not_the_node_failing_now() -> None:
    """A node that went NotReady 25 minutes ago and came back: its NotReady is over while the pod's crash
    loop goes on. A node that flapped minutes ago, or one still NotReady, is the node's trouble."""
    check = Check(name="node hosting the service NotReady", kubernetes="NodeNotReady", weight=3)
    pods = [{"name": "index-2", "service": "index", "node": "n9", "reasons": ["CrashLoopBackOff"]}]

    def view(notready_at: float, ready: bool) -> Evidence:
        events = [
            {
                "service": "index",
                "reason": "NodeNotReady",
                "message": "Node is not ready (pod index-2)",
                "ts": notready_at,
            },
            {"service": "index", "reason": "BackOff", "message": "Back-off restarting failed container", "ts": 0.0},
        ]
        return evidence_of([], nodes=[{"name": "n9", "ready": ready}], pods=pods, events=events)

    assert outcome(check, "index", view(-1500.0, ready=True)) == (True, False)
    assert outcome(check, "index", view(-120.0, ready=True)) == (True, True), "flapped minutes ago"
    assert outcome(check, "index", view(-1500.0, ready=False)) == (True, True)


def test_the_requests_a_service_sends_are_not_the_requests_it_serves() -> None:
    """A retry storm multiplies mobile-bff's calls to profile-api, not the traffic it serves: a "request rate
    up" check reads only what it serves."""
    from tools.rca.checks import reading_for

    view = evidence_of(
        [
            anomaly("mobile-bff", "request_rate", 2356.0, 2380.0, 0.3, kind="traffic"),
            anomaly(
                "mobile-bff",
                "upstream_request_rate",
                1204.0,
                4821.0,
                4.6,
                kind="traffic",
                labels={"upstream": "profile-api"},
            ),
        ]
    )
    served = reading_for(Check(name="request rate up", metric="request_rate", expect="up"), "mobile-bff", view)
    assert [s.metric for s in served] == ["request_rate"]
    sent = reading_for(Check(name="calls up", metric="upstream_request_rate", expect="up"), "mobile-bff", view)
    assert [s.metric for s in sent] == ["upstream_request_rate"]


def test_a_key_a_service_rotated_fails_in_the_logs_of_those_that_call_it() -> None:
    check = Check(name="authentication errors in logs", log=r"(?i)invalid token|\b401\b", weight=3)
    rotation = {
        "service": "auth",
        "kind": "secret_rotation",
        "family": "credential",
        "minutes_before_onset": 1.0,
        "description": "auth: rotated JWT signing key",
    }
    rejected = {"service": "orders", "template": "WARN rejecting request: invalid token: kid not found", "new": True}

    def confirmed(changes: list[dict[str, Any]], calls: list[str]) -> bool:
        view = evidence_of(
            [anomaly("auth", "request_rate", 200.0, 500.0, 8.0, kind="traffic")], changes=changes, spikes=[rejected]
        )
        view.topology = {"orders": calls, "auth": []}
        return outcome(check, "auth", view)[1]

    assert confirmed([rotation], ["auth"])
    assert not confirmed([], ["auth"]), "with no key of its own changed, its callers' refusals are theirs"
    assert not confirmed([rotation], []), "a service that does not call it says nothing of its keys"
