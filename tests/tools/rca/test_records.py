"""Records read from tool results are the diagnosis's own: refining them never rewrites the results."""

from __future__ import annotations

from tools.rca.records import ServiceRecord


def test_a_record_read_from_a_tool_result_does_not_share_its_lists() -> None:
    """The diagnosis records who propagates from whom on its records; the rank_anomalies result they were
    read from is kept in the investigation's state and read again (the model's ranking re-runs the rules
    engine on it), so it must come back as the tool gave it."""
    data = {
        "service": "tickets-api",
        "propagated_from": [],
        "load_from": ["web"],
        "series": [{"key": "k", "service": "tickets-api", "labels": {"pod": "p-1"}}],
    }
    record = ServiceRecord.from_dict(data)
    record.propagated_from.append("tickets-db")
    record.load_from.remove("web")
    record.series[0].labels["pod"] = "p-2"
    assert data["propagated_from"] == [] and data["load_from"] == ["web"]
    assert data["series"][0]["labels"] == {"pod": "p-1"}
