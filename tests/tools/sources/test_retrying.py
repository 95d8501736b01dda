"""RetryingTransport against real loopback servers: "not now" answers and refused connections are retried a
bounded number of times with short, recorded waits; every other answer is final."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.support.fakehttp import RecordedRequest, RecordingServer, Reply
from tests.support.net import free_port
from tools.sources.retrying import (
    FIRST_BACKOFF_S,
    MAX_ATTEMPTS,
    RETRY_AFTER_CAP_S,
    RetryingTransport,
    backoff_s,
)


def _client(sleeps: list[float], verify: bool = True) -> httpx.Client:
    return httpx.Client(transport=RetryingTransport(httpx.HTTPTransport(verify=verify), sleep=sleeps.append))


def _in_turn(*answers: Reply) -> Callable[[RecordedRequest], Reply]:
    """The answers one request at a time, the last one from then on."""
    queue = list(answers)
    return lambda request: queue.pop(0) if len(queue) > 1 else queue[0]


def test_unavailable_then_ok_is_retried_after_a_backoff(server: RecordingServer) -> None:
    server.route("GET", "/q", _in_turn(Reply("restarting", status=503), Reply({"ok": True})))
    sleeps: list[float] = []
    response = _client(sleeps).get(f"{server.url}/q")
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert len(server.received()) == 2
    assert sleeps == [FIRST_BACKOFF_S]


@pytest.mark.parametrize(
    ("retry_after", "waited"),
    [
        ("2", 2.0),
        ("3600", RETRY_AFTER_CAP_S),
        ("Wed, 21 Oct 2015 07:28:00 GMT", FIRST_BACKOFF_S),  # a date: our own backoff
        ("-5", 0.0),
    ],
)
def test_too_many_requests_honours_a_numeric_retry_after_up_to_a_cap(
    server: RecordingServer, retry_after: str, waited: float
) -> None:
    server.route(
        "GET", "/q", _in_turn(Reply("slow down", status=429, headers={"Retry-After": retry_after}), Reply({"ok": True}))
    )
    sleeps: list[float] = []
    assert _client(sleeps).get(f"{server.url}/q").status_code == 200
    assert sleeps == [waited]


def test_a_backend_that_stays_unavailable_gives_its_last_answer(server: RecordingServer) -> None:
    server.route("GET", "/q", Reply("down", status=503))
    sleeps: list[float] = []
    response = _client(sleeps).get(f"{server.url}/q")
    assert response.status_code == 503 and response.text == "down"
    assert len(server.received()) == MAX_ATTEMPTS
    assert sleeps == [backoff_s(retry) for retry in range(MAX_ATTEMPTS - 1)]
    assert sleeps[1] == 2 * sleeps[0]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 500])
def test_other_answers_are_final(server: RecordingServer, status: int) -> None:
    server.route("GET", "/q", _in_turn(Reply("no", status=status), Reply({"ok": True})))
    sleeps: list[float] = []
    assert _client(sleeps).get(f"{server.url}/q").status_code == status
    assert len(server.received()) == 1 and sleeps == []


def test_a_refused_connection_is_retried_then_raised() -> None:
    sleeps: list[float] = []
    with pytest.raises(httpx.ConnectError):
        _client(sleeps).get(f"http://127.0.0.1:{free_port()}/q")
    assert sleeps == [backoff_s(retry) for retry in range(MAX_ATTEMPTS - 1)]


def test_a_post_body_is_sent_again_intact(server: RecordingServer) -> None:
    server.route("POST", "/silences", _in_turn(Reply("busy", status=503), Reply({"silenceID": "s1"})))
    sleeps: list[float] = []
    response = _client(sleeps).post(f"{server.url}/silences", json={"comment": "approved by @alice"})
    assert response.json() == {"silenceID": "s1"}
    assert [r.json() for r in server.received()] == [{"comment": "approved by @alice"}] * 2


def test_a_rejected_certificate_is_not_retried(tls_server: RecordingServer) -> None:
    sleeps: list[float] = []
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        _client(sleeps).get(f"{tls_server.url}/q")
    assert sleeps == [] and tls_server.received() == []
    # the same server over a client that skips verification is reachable: the failure was the certificate
    tls_server.route("GET", "/q", {"ok": True})
    assert _client(sleeps, verify=False).get(f"{tls_server.url}/q").json() == {"ok": True}
