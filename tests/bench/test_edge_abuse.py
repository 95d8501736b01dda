"""The edge-abuse memory benchmark stays runnable: one quick round against ``andon serve`` reports the
serving process's memory before and after, and the server is still serving. No number is asserted."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import edge_abuse
from bench.result import BenchOptions

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_abuse_round_reports_memory_before_and_after_and_the_server_survives(tmp_path: Path) -> None:
    result = edge_abuse.run(BenchOptions(quick=True, workdir=tmp_path))
    metrics = result.metrics
    assert metrics["before_mb"] > 0 and metrics["after_mb"] > 0 and metrics["still_serving"] is True
    [one] = metrics["rounds"]
    statuses = one["statuses"]
    assert set(statuses["unsigned, forged, stale and malformed-timestamp Slack requests"]) == {"401"}
    assert "500" not in {status for answers in statuses.values() for status in answers}
    assert one["endless_chunked_413"] >= 1 and one["idle_opened"] > 0
    assert result.measured and result.target and result.headline
