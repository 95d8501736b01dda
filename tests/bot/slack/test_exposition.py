"""``/metrics`` over the serving and the worker process: one exposition, same-named samples added up."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bot.chat.metrics import Metrics
from bot.slack.edge.exposition import MetricsWithWorker, merged, write_exposition


def _samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
    }


def test_counters_and_histograms_of_both_processes_add_up() -> None:
    serving, worker = Metrics(), Metrics()
    serving.incidents.labels(source="slack").inc()
    worker.incidents.labels(source="slack").inc(2)
    worker.incidents.labels(source="alertmanager").inc()
    worker.duration.observe(3.0)
    samples = _samples(merged(serving.exposition()[0], worker.exposition()[0]))
    assert samples[("andon_incidents_total", (("source", "slack"),))] == 3.0
    assert samples[("andon_incidents_total", (("source", "alertmanager"),))] == 1.0
    assert samples[("andon_investigation_duration_seconds_count", ())] == 1.0
    assert samples[("andon_investigation_duration_seconds_bucket", (("le", "5.0"),))] == 1.0
    assert samples[("andon_investigation_duration_seconds_sum", ())] == 3.0


def test_the_serving_process_adds_what_the_worker_last_wrote(tmp_path: Path) -> None:
    path = tmp_path / "worker-metrics.prom"
    serving = MetricsWithWorker(path)
    serving.decisions.labels(result="recorded").inc()
    assert _samples(serving.exposition()[0])[("andon_approval_decisions_total", (("result", "recorded"),))] == 1.0
    worker = Metrics()
    worker.investigations.labels(outcome="reported").inc(4)
    write_exposition(worker, path)
    samples = _samples(serving.exposition()[0])
    assert samples[("andon_investigations_total", (("outcome", "reported"),))] == 4.0
    assert samples[("andon_approval_decisions_total", (("result", "recorded"),))] == 1.0
