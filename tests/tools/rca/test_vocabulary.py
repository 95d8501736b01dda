"""The signal vocabulary: canonical names, the aliases of common stacks, kinds from words, unit floors; the
table read on first use, and knowledge/README.md's table generated from it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.rca.vocabulary import classify, docs_table, load_vocabulary, parse_vocabulary

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "knowledge" / "README.md"


@pytest.mark.parametrize(
    "metric, canonical, kind, bad",
    [
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
        # a disk's reads and writes are work, not fill
        ("disk_read_bytes_per_second", "", "io", "both"),
        ("node_disk_io_time_seconds_total", "", "io", "both"),
        ("container_fs_writes_bytes_total", "", "io", "both"),
        ("node_filesystem_avail_bytes", "disk_usage_ratio", "disk", "up"),
        # a DNS server saying a name does not exist is answering; one that cannot answer is failing
        ("dns_nxdomain_rate", "dns_nxdomain_answers", "traffic", "both"),
        ("dns_servfail_rate", "dns_errors", "errors", "up"),
    ],
)
def test_names_map_to_canonical_signals_and_kinds(metric: str, canonical: str, kind: str, bad: str) -> None:
    signal = classify(metric)
    assert (signal.name, signal.kind, signal.bad) == (canonical, kind, bad)


def test_client_side_names_face_a_dependency_and_units_set_the_floor() -> None:
    assert classify("client_latency_p99_seconds").dependency and not classify("latency_p99_seconds").dependency
    assert classify("error_ratio").floor == 0.005 and classify("memory_usage_bytes").floor == 1e6
    assert classify("MemoryUsage").floor < 1e-6, "a name that states no unit gets no floor"


def test_every_bound_reads_as_the_signal_it_is_listed_with() -> None:
    """A bound (``memory_limit_bytes``) is listed with the signal it bounds because it reads as that signal."""
    bounds = [(entry.name, entry.bound[0]) for entry in load_vocabulary().entries if entry.bound]
    assert ("memory_usage_bytes", "memory_limit_bytes") in bounds
    for signal, bound in bounds:
        assert classify(bound).name == signal, bound


def test_the_table_is_read_on_first_use_not_at_import() -> None:
    code = (
        "import tools.rca.vocabulary as v, tools.sources.prometheus, tools.sources.profiles\n"
        "before = v.load_vocabulary.cache_info().currsize\n"
        "v.classify('error_ratio')\n"
        "print(before, v.load_vocabulary.cache_info().currsize)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "1"]


def test_a_broken_row_is_named() -> None:
    def table(*rows: dict[str, str]) -> dict[str, object]:
        return {
            "kinds": {"errors": {"weight": 1.0}, "other": {"weight": 0.6}},
            "signals": list(rows),
            "otherwise": {"kind": "other", "bad": "both"},
            "floors": [],
            "no_floor": 1e-9,
            "dependency": "client",
        }

    assert parse_vocabulary(table({"name": "x_ratio", "kind": "errors", "bad": "up", "aliases": "x", "meaning": "x"}))
    with pytest.raises(ValueError, match="kind 'nonsense'"):
        parse_vocabulary(table({"name": "x_ratio", "kind": "nonsense", "bad": "up", "aliases": "x", "meaning": "x"}))
    with pytest.raises(ValueError, match="x_ratio"):
        parse_vocabulary(table({"name": "x_ratio", "kind": "errors", "bad": "up", "aliases": "x"}))  # no meaning
    with pytest.raises(ValueError, match="words row"):
        parse_vocabulary(table({"kind": "errors", "bad": "up", "aliases": "x"}))  # aliases without a name


def _readme_table(text: str) -> tuple[int, int]:
    """Where the table of the "Signal vocabulary" section of knowledge/README.md starts and ends."""
    start = text.index("\n| ", text.index("\n## Signal vocabulary\n")) + 1
    end = start
    while text.startswith("|", end):
        end = text.index("\n", end) + 1
    return start, end


def test_the_knowledge_readme_table_is_generated_from_the_vocabulary() -> None:
    """knowledge/README.md's table is :func:`docs_table`. After editing vocabulary.yaml, regenerate it with
    UPDATE_GOLDEN=1 and read the diff."""
    text = README.read_text()
    start, end = _readme_table(text)
    if os.environ.get("UPDATE_GOLDEN"):
        README.write_text(text[:start] + docs_table() + text[end:])
        text = README.read_text()
        start, end = _readme_table(text)
    assert text[start:end] == docs_table(), (
        "knowledge/README.md's signal table differs from tools/rca/vocabulary.yaml: regenerate it with UPDATE_GOLDEN=1"
    )


def test_a_limit_is_a_bound_or_a_name_that_says_so() -> None:
    from tools.rca.vocabulary import is_limit

    assert is_limit("memory_limit_bytes") and is_limit("process_max_fds") and is_limit("replicas_max")
    assert is_limit("queue_capacity") and is_limit("db_connections_max") and is_limit("spec_max_replicas")
    assert not is_limit("process_open_fds") and not is_limit("latency_p99_seconds")
    assert not is_limit("max_latency_seconds"), "the largest latency seen is a reading, not a bound"
