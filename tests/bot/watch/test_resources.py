"""A saturating resource's bound is told apart from its use, and from measures that merely say "max"."""

from __future__ import annotations

import pytest

from bot.watch.resources import is_limit


@pytest.mark.parametrize(
    ("metric", "bound"),
    [
        ("memory_limit_bytes", True),
        ("container_spec_memory_limit_bytes", True),
        ("queue_capacity", True),
        ("memory_usage_bytes", False),
        ("disk_usage_ratio", False),
        ("queue_depth", False),
        ("request_duration_max_seconds", False),  # a latency's maximum is a measure, not a bound
    ],
)
def test_is_limit(metric: str, bound: bool) -> None:
    assert is_limit(metric) is bound
