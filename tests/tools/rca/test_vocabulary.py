"""The signal vocabulary: canonical names, the aliases of common stacks, kinds from words, unit floors."""

from __future__ import annotations

import pytest

from tools.rca.vocabulary import classify


@pytest.mark.parametrize("metric, canonical, kind, bad", [
    ("error_ratio", "error_ratio", "errors", "up"),
    ("http_401_ratio", "error_ratio", "errors", "up"),
    ("container_memory_working_set_bytes", "memory_usage_bytes", "memory", "up"),
    ("kube_pod_container_status_restarts_total", "restarts_total", "restarts", "up"),
    ("node_timex_offset_seconds", "clock_skew_seconds", "clock", "both"),
    ("cache_hit_ratio", "cache_hit_ratio", "availability", "down"),
    ("upstream_latency_seconds", "upstream_latency_seconds", "latency", "up"),
    ("PodWorkload", "request_rate", "traffic", "both"),
    ("consumer_rebalances_per_minute", "", "other", "both"),
    ("envoy_cluster_upstream_rq_pending_overflow", "upstream_error_ratio", "errors", "up"),  # breaker rejections
    ("nginx_connections_overflow_total", "error_ratio", "errors", "up"),
    # rows a plan reads are work per query, not load: a missing index multiplies them, requests unchanged
    ("pg_stat_user_tables_seq_scan", "db_scan_rate", "saturation", "up"),
    ("seq_scan_rate", "db_scan_rate", "saturation", "up"),
    ("mysql_global_status_select_scan", "db_scan_rate", "saturation", "up"),
    ("mysql_perf_schema_events_statements_rows_examined_total", "db_scan_rate", "saturation", "up"),
    # jobs running are work that started, not a pool filling up
    ("kube_job_status_active", "jobs_active", "traffic", "both"),
    ("active_runs", "jobs_active", "traffic", "both"),
    ("thread_pool_active_ratio", "thread_pool_active_ratio", "saturation", "up"),
])
def test_names_map_to_canonical_signals_and_kinds(metric: str, canonical: str, kind: str, bad: str) -> None:
    signal = classify(metric)
    assert (signal.name, signal.kind, signal.bad) == (canonical, kind, bad)


def test_client_side_names_face_a_dependency_and_units_set_the_floor() -> None:
    assert classify("client_latency_p99_seconds").dependency and not classify("latency_p99_seconds").dependency
    assert classify("error_ratio").floor == 0.005 and classify("memory_usage_bytes").floor == 1e6
    assert classify("MemoryUsage").floor < 1e-6, "a name that states no unit gets no floor"
