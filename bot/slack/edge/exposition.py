"""``/metrics`` over two processes: the serving process's own metrics and those its worker process
(investigations, tool errors, LLM tokens, charts) writes to a file, merged into one exposition — samples of
the same name and labels added up (counters, histogram buckets, sums and counts); a ``_created`` time keeps
the earliest."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from bot.chat.metrics import Metrics

__all__ = ["merged", "MetricsWithWorker", "write_exposition"]

Key = tuple[str, tuple[tuple[str, str], ...]]


def merged(*expositions: bytes) -> bytes:
    """One text exposition holding every sample of ``expositions``, same-named samples added up."""
    families: dict[str, tuple[str, str, dict[Key, float]]] = {}
    for text in expositions:
        for family in text_string_to_metric_families(text.decode("utf-8")):
            _, _, samples = families.setdefault(family.name, (family.documentation, family.type, {}))
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                if key in samples and sample.name.endswith("_created"):
                    samples[key] = min(samples[key], sample.value)
                else:
                    samples[key] = samples.get(key, 0.0) + sample.value
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(families))
    return generate_latest(registry)


class _Fixed:
    def __init__(self, families: dict[str, tuple[str, str, dict[Key, float]]]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        for name, (documentation, kind, samples) in self._families.items():
            metric = Metric(name, documentation, kind)
            for (sample, labels), value in samples.items():
                metric.add_sample(sample, dict(labels), value)
            yield metric


class MetricsWithWorker(Metrics):
    """The serving process's metrics, whose exposition adds what the worker process last wrote to ``path``."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def exposition(self) -> tuple[bytes, str]:
        own, content_type = super().exposition()
        try:
            worker = self.path.read_bytes()
        except OSError:  # not written yet (the worker is starting)
            return own, content_type
        return merged(own, worker), content_type


def write_exposition(metrics: Metrics, path: Path) -> None:
    """Write ``metrics``' exposition to ``path`` whole (a reader never sees half of it)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(metrics.exposition()[0])
    with contextlib.suppress(OSError):
        os.replace(partial, path)
