"""ChangeFeedSource against a loopback feed answering JSON lists of changes."""

from __future__ import annotations

import pytest

from tests.support.fakehttp import RecordingServer, Reply
from tools.sources.changefeed import ChangeFeedSource, parse_change
from tools.sources.prometheus import BackendError
from tools.sources.timespec import parse_instant

START, END = 1714564800.0, 1714568400.5
FEED = [
    {
        "ts": 1714566000,
        "service": "checkout",
        "kind": "deploy",
        "version": "1.4.2",
        "previous_version": "1.4.1",
        "description": "checkout 1.4.2: new payment client",
        "author": "ci@example.com",
    },
    {
        "at": "2024-05-01T12:50:00Z",
        "service": "payments",
        "kind": "flag",
        "flag": "new-retry-policy",
        "description": "enabled new-retry-policy for 100%",
        "author": "alice",
    },
    {"ts": 1714565400000, "service": "cart", "kind": "config", "description": "raise pool size"},
    {"ts": 1714500000, "service": "checkout", "kind": "deploy", "version": "1.4.1"},
    {"ts": 1714566100, "kind": "deploy", "description": "no service: skipped"},
    {"at": "yesterday", "service": "search", "kind": "deploy"},
    "garbage",
]


def test_changes_are_parsed_windowed_and_sorted(server: RecordingServer) -> None:
    server.route("GET", "/changes", FEED)
    changes = ChangeFeedSource(f"{server.url}/changes").changes(START, END)

    request = server.received("GET", "/changes")[0]
    assert (request.param("since"), request.param("until")) == ("1714564800", "1714568401")
    assert [(c.service, c.kind) for c in changes] == [("cart", "config"), ("checkout", "deploy"), ("payments", "flag")]
    cart, checkout, payments = changes
    assert cart.ts == 1714565400.0  # milliseconds read as such
    assert (checkout.version, checkout.previous_version, checkout.author) == ("1.4.2", "1.4.1", "ci@example.com")
    assert payments.ts == parse_instant("2024-05-01T12:50:00Z") and payments.flag == "new-retry-policy"


def test_service_filter_and_wrapped_answer(server: RecordingServer) -> None:
    server.route("GET", "/feed", {"changes": FEED})
    changes = ChangeFeedSource(f"{server.url}/feed").changes(START, END, service="checkout")
    assert [c.version for c in changes] == ["1.4.2"]


def test_feed_errors(server: RecordingServer) -> None:
    server.route("GET", "/feed", Reply("upstream down", status=502))
    with pytest.raises(BackendError, match="502"):
        ChangeFeedSource(f"{server.url}/feed").changes(START, END)
    server.route("GET", "/feed", {"unexpected": True})
    with pytest.raises(BackendError, match="JSON list"):
        ChangeFeedSource(f"{server.url}/feed").changes(START, END)


def test_parse_change_defaults() -> None:
    change = parse_change({"ts": "1714566000", "service": "cart"})
    assert change is not None and (change.ts, change.kind, change.version) == (1714566000.0, "deploy", "")
    assert parse_change({"service": "cart"}) is None
