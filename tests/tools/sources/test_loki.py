"""LokiSource against a loopback server replaying Loki's ``query_range`` streams format."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.fakehttp import RecordedRequest, RecordingServer, Reply
from tools.sources.loki import LokiSource, logql_selector
from tools.sources.prometheus import BackendError

START, END = 1714564800.0, 1714565100.0
PATH = "/loki/api/v1/query_range"


def _empty() -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": "streams", "result": [], "stats": {}}}


def test_reads_streams_and_sends_logql(server: RecordingServer, wire: Any) -> None:
    server.route("GET", PATH, wire("loki_query_range"))
    lines = LokiSource(server.url, limit=500).lines(START, END, "checkout", "payment")

    request = server.received("GET", PATH)[0]
    assert request.param("query") == '{service="checkout"} |= "payment"'
    assert request.param("start") == "1714564800000000000"
    assert request.param("end") == "1714565100000000000"
    assert request.param("limit") == "500"
    assert request.param("direction") == "backward"

    assert [line.ts for line in lines] == sorted(line.ts for line in lines)
    assert lines[0].ts == pytest.approx(1714564860.0)
    assert {line.service for line in lines} == {"checkout"}
    level = {line.text.split()[0]: line.level for line in lines}
    assert level["GET"] == "info"
    assert level['{"level":"warn","msg":"retrying'] == "warning"
    assert level["upstream"] == "error"  # from the stream's detected_level label
    assert level["level=error"] == "error"


def test_every_service_selector_and_fallback_to_app_label(server: RecordingServer, wire: Any) -> None:
    answer = wire("loki_query_range")
    stream = answer["data"]["result"][0]
    stream["stream"] = {"app": "payments", "namespace": "shop"}
    answer["data"]["result"] = [stream]

    def reply(request: RecordedRequest) -> Any:
        return answer if (request.param("query") or "").startswith("{app") else _empty()

    server.route("GET", PATH, reply)
    lines = LokiSource(server.url).lines(START, END)

    assert [r.param("query") for r in server.received()] == ['{service=~".+"}', '{app=~".+"}']
    assert len(lines) == 3 and {line.service for line in lines} == {"payments"}


def test_no_lines_anywhere_is_empty(server: RecordingServer) -> None:
    server.route("GET", PATH, _empty())
    assert LokiSource(server.url, service_labels=("service",)).lines(START, END, "cart") == []
    assert len(server.received()) == 1


def test_tenant_header(server: RecordingServer) -> None:
    server.route("GET", PATH, _empty())
    LokiSource(server.url, tenant="team-a", service_labels=("service",)).lines(START, END)
    assert server.received()[0].headers["x-scope-orgid"] == "team-a"


def test_errors_are_backend_errors(server: RecordingServer) -> None:
    server.route("GET", PATH, Reply("parse error at line 1, col 3: syntax error", status=400))
    with pytest.raises(BackendError, match="400"):
        LokiSource(server.url).lines(START, END, "checkout")

    server.route("GET", PATH, {"status": "success", "data": {"resultType": "matrix", "result": []}})
    with pytest.raises(BackendError, match="streams"):
        LokiSource(server.url).lines(START, END, "checkout")


def test_unreachable_loki() -> None:
    with pytest.raises(BackendError, match="unreachable"):
        LokiSource("http://127.0.0.1:9").lines(START, END)


def test_selector_quotes_values() -> None:
    assert logql_selector("service", 'we"ird', 'say "hi" \\o/') == r'{service="we\"ird"} |= "say \"hi\" \\o/"'
    assert logql_selector("job", None, None) == '{job=~".+"}'


def test_malformed_entries_are_skipped(server: RecordingServer) -> None:
    server.route(
        "GET",
        PATH,
        {
            "status": "success",
            "data": {
                "resultType": "streams",
                "result": [
                    {
                        "stream": {"job": "shop/cart"},
                        "values": [
                            ["not-a-time", "x"],
                            ["1714564861000000000"],
                            ["1714564862000000000", "ok", {"trace_id": "abc"}],
                        ],
                    }
                ],
            },
        },
    )
    (line,) = LokiSource(server.url, service_labels=("job",)).lines(START, END)
    assert (line.service, line.text, line.ts) == ("shop/cart", "ok", 1714564862.0)
