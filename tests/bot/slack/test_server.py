"""The HTTP edge under attack: bodies without a sane length, endless chunked bodies, idle, trickling and
half-sent requests, too many connections, unauthenticated and malformed webhooks. Each answer is a clear 4xx (or a
closed
socket), never a 500, and the server keeps serving."""

from __future__ import annotations

import base64
import json
import select
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.fake_slack import FakeSlack
from bot.chat.ids import BlockId
from bot.slack import server as edge
from bot.slack.server import AndonHTTPServer, EdgeLimits
from tests.support.served_slack import ALERT, APPROVER, CHANNEL, Andon, serving, signed_headers

pytestmark = pytest.mark.integration
TOKEN = "wh-token-5e1f"


def _raw(andon: Andon, request: bytes, wait_s: float = 5.0) -> bytes:
    """Send raw bytes and read until the server closes or stops answering."""
    host, port = andon.running.http.server_address[:2]  # type: ignore[union-attr]
    with socket.create_connection((host, port), timeout=wait_s) as sock:
        sock.sendall(request)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and b'"error"' in b"".join(chunks):
                    break
        except TimeoutError:
            pass
    return b"".join(chunks)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


def _still_serving(andon: Andon) -> None:
    assert andon.http.get(f"{andon.url}/healthz").json()["ok"] is True


@pytest.mark.parametrize("length, status", [("-1", 400), ("12abc", 400), ("99999999999", 413)])
def test_a_body_without_a_sane_length_is_refused_before_it_is_read(andon: Andon, length: str, status: int) -> None:
    answer = _raw(andon, f"POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{}}".encode())
    assert _status(answer) == status, answer[:200]
    _still_serving(andon)


def test_a_chunked_body_is_accepted(andon: Andon) -> None:
    body = ALERT.read_bytes()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i : i + 500]), body[i : i + 500]) for i in range(0, len(body), 500))
    answer = _raw(
        andon,
        b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/json\r\nConnection: close\r\n\r\n" + chunks + b"0\r\n\r\n",
    )
    assert _status(answer) == 202 and b'"opened"' in answer, answer[:300]


def test_a_chunked_body_over_the_limit_is_cut_off_with_413_without_being_read(andon: Andon) -> None:
    """An endless chunked body: the server answers 413 once it passes ``MAX_BODY`` and closes the connection,
    so the sender is stopped long before it has sent everything it would."""
    host, port = andon.running.http.server_address[:2]  # type: ignore[union-attr]
    chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
    sent, answer = 0, b""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            while sent < 20 * edge.MAX_BODY:
                sock.sendall(chunk)
                sent += len(chunk)
                if select.select([sock], [], [], 0)[0]:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _drain(sock)
    assert _status(answer) == 413 and b"too large" in answer, answer[:300]
    assert sent < 20 * edge.MAX_BODY, "the server kept reading past the limit"
    _still_serving(andon)


def _drain(sock: socket.socket) -> bytes:
    """What the server sent before it closed the connection."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except OSError:
        pass
    return b"".join(chunks)


def test_a_transfer_coding_other_than_chunked_is_a_400(andon: Andon) -> None:
    answer = _raw(andon, b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}")
    assert _status(answer) == 400
    _still_serving(andon)


@pytest.mark.parametrize(
    "head, status",
    [
        (
            b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
        ),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 40_000 + b"\r\n\r\n", 431),
        (b"GET /h\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"PUT /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 405),
        (
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slack-Request-Timestamp: \xb2\xb3\r\n"
            b"Content-Length: 2\r\n\r\n{}",
            401,
        ),
    ],
)
def test_a_request_head_the_edge_does_not_want_gets_a_clear_4xx(andon: Andon, head: bytes, status: int) -> None:
    """Both Content-Length and Transfer-Encoding (request smuggling), headers over the limit sent in one
    write, a path that is not ASCII, a method a route does not take, a timestamp of non-ASCII digits."""
    answer = _raw(andon, head)
    assert _status(answer) == status, answer[:300]
    assert b"Traceback" not in answer
    _still_serving(andon)


@contextmanager
def _edge(andon: Andon, **limits: Any) -> Iterator[AndonHTTPServer]:
    """A second server over the fixture's desk, with limits of its own."""
    server = AndonHTTPServer(("127.0.0.1", 0), andon.running.desk, andon.running.app, limits=EdgeLimits(**limits))
    server.start()
    try:
        yield server
    finally:
        server.shutdown()


def test_an_idle_trickling_or_half_sent_request_is_dropped_at_the_read_deadline(andon: Andon) -> None:
    with _edge(andon, read_timeout_s=0.5) as server:
        host, port = server.server_address
        with (
            socket.create_connection((host, port), timeout=5) as idle,
            socket.create_connection((host, port), timeout=5) as half,
            socket.create_connection((host, port), timeout=5) as trickle,
        ):
            half.sendall(b'POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"alerts"')
            cut_off = False
            for byte in b"GET /healthz HTTP/1.1\r\nHost: x" * 2:  # a byte every 50 ms: never a whole request
                try:
                    trickle.sendall(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    cut_off = True
                    break
                time.sleep(0.05)
            assert idle.recv(1024) == b""  # closed by the server, not by our 5 s timeout
            assert half.recv(1024) == b""
            assert cut_off or trickle.recv(1024) == b""
        assert httpx.get(f"{server.url}/healthz", timeout=5).json()["ok"] is True


def test_requests_beyond_the_connection_limit_get_503_and_slots_come_back(andon: Andon) -> None:
    with _edge(andon, max_connections=2) as server:
        host, port = server.server_address
        first, second = (socket.create_connection((host, port), timeout=5) for _ in range(2))
        try:
            first.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            second.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert first.recv(1024).startswith(b"HTTP/1.1 200") and second.recv(1024).startswith(b"HTTP/1.1 200")
            with socket.create_connection((host, port), timeout=5) as third:
                third.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                assert third.recv(1024).startswith(b"HTTP/1.1 503")
        finally:
            first.close()
            second.close()
        with httpx.Client(timeout=5) as fresh:  # the two slots are free again once their connections close
            for _ in range(20):
                if fresh.get(f"{server.url}/healthz").status_code == 200:
                    break
                time.sleep(0.1)
            assert fresh.get(f"{server.url}/healthz").status_code == 200


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"\xff\xfe not utf-8", "invalid JSON"),
        (b"[" * 900 + b"]" * 900, "nested deeper"),
        (b'{"alerts": [{"labels": {"alertname": "X"}, "annotations": {"summary": "\\ud800"}}]}', "not valid Unicode"),
        (b"[1, 2]", "expected an Alertmanager or Grafana webhook payload"),
        (b'{"alerts": [' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"]}", "nested deeper"),
    ],
)
def test_malformed_webhooks_get_a_clear_400(andon: Andon, body: bytes, problem: str) -> None:
    response = andon.http.post(f"{andon.url}/alertmanager", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and problem in response.json()["error"]
    assert "Traceback" not in response.text
    _still_serving(andon)


@pytest.fixture
def guarded(fake_slack: FakeSlack, tmp_path: Path, slack_kb: Any) -> Iterator[Andon]:
    with serving(fake_slack, tmp_path, slack_kb, webhook_token=TOKEN) as served:
        yield served


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Token {TOKEN}", "Basic !!notbase64", "Basic " + base64.b64encode(b"andon:wrong").decode()],
)
@pytest.mark.parametrize("path", ["/alertmanager", "/grafana", "/opsgenie"])
def test_the_webhook_refuses_requests_without_its_token(guarded: Andon, authorization: str | None, path: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = guarded.http.post(f"{guarded.url}{path}", json=json.loads(ALERT.read_text()), headers=headers)
    assert response.status_code == 401 and "webhook token" in response.json()["error"]
    assert guarded.store.list() == []


@pytest.mark.parametrize(
    "authorization", [f"Bearer {TOKEN}", "Basic " + base64.b64encode(f"alertmanager:{TOKEN}".encode()).decode()]
)
def test_the_webhook_accepts_its_token_as_bearer_or_basic_auth(guarded: Andon, authorization: str) -> None:
    response = guarded.http.post(
        f"{guarded.url}/alertmanager", json=json.loads(ALERT.read_text()), headers={"Authorization": authorization}
    )
    assert response.status_code == 202 and response.json()["status"] == "opened"


def _parsed(value: Any) -> Any:
    """What Slack parses for mentions and links: everything but plain_text objects (shown verbatim)."""
    if isinstance(value, dict):
        return None if value.get("type") == "plain_text" else {k: _parsed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_parsed(v) for v in value]
    return value


INJECTED = "<!channel> gateway 5xx <http://evil.example/login|Approve here> <@U0ADMIN> & more"


def test_text_from_a_webhook_cannot_mention_or_link_in_slack(andon: Andon) -> None:
    payload = json.loads(ALERT.read_text())
    payload["commonAnnotations"]["summary"] = INJECTED
    payload["alerts"][0]["annotations"]["summary"] = INJECTED
    payload["groupKey"] = '{}:{alertname="Injected"}'
    assert andon.http.post(f"{andon.url}/alertmanager", json=payload).status_code == 202
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")
    sent = json.dumps([_parsed(c.args) for c in andon.fake.calls], ensure_ascii=False)
    assert "&lt;!channel&gt;" in sent  # the text arrived, inert
    for live in ("<!channel>", "<http://evil.example", "<@U0ADMIN>"):
        assert live not in sent, sent[max(sent.find(live) - 300, 0) : sent.find(live) + 100]


def test_a_slack_request_with_a_malformed_timestamp_is_refused_not_a_500(andon: Andon) -> None:
    body = "token=legacy&command=%2Fandon&text=help&user_id=UAPPROVER1&channel_id=CINCIDENT1"
    headers = {
        **signed_headers(body),
        "X-Slack-Request-Timestamp": "not-a-time",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    response = andon.http.post(f"{andon.url}/slack/events", content=body, headers=headers)
    assert response.status_code == 401 and "signature" in response.json()["error"]


def test_a_replayed_signed_slash_command_runs_once(andon: Andon) -> None:
    body = urlencode(
        {
            "token": "legacy",
            "team_id": "TFAKE0001",
            "channel_id": CHANNEL,
            "user_id": APPROVER,
            "command": "/andon",
            "text": "investigate checkout 5xx since 10:02",
            "trigger_id": "9.9.9",
            "response_url": andon.fake.response_url("investigate"),
        }
    )
    headers = {**signed_headers(body), "Content-Type": "application/x-www-form-urlencoded"}
    answers = [andon.http.post(f"{andon.url}/slack/events", content=body, headers=headers) for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert sum(1 for a in answers if "duplicate" in a.text) == 4
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")
    opened = [c for c in andon.fake.calls_to("chat.postMessage") if "opened an incident" in json.dumps(c.args)]
    assert len(opened) == 1


def test_a_slash_command_sent_again_with_its_trigger_id_runs_once(andon: Andon) -> None:
    """The same command (the same ``trigger_id``) signed again at another second: new signature, same
    command. Slack never sends a command twice, so it is a replay (or a Socket Mode envelope sent again)."""
    body = urlencode(
        {
            "token": "legacy",
            "team_id": "TFAKE0001",
            "channel_id": CHANNEL,
            "user_id": APPROVER,
            "command": "/andon",
            "text": "investigate payments 5xx since 10:02",
            "trigger_id": "7.7.7",
            "response_url": andon.fake.response_url("investigate"),
        }
    )
    now = int(time.time())
    answers = [andon.post_signed(body, "application/x-www-form-urlencoded", timestamp=now - age) for age in (0, 1, 2)]
    assert [a.status_code for a in answers] == [200] * 3
    assert "Opening an incident" in answers[0].text and not any("Opening" in a.text for a in answers[1:])
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.RCA_HEADER), what="the RCA card")
    opened = [c for c in andon.fake.calls_to("chat.postMessage") if "opened an incident" in json.dumps(c.args)]
    assert len(opened) == 1
    helped = andon.command("help")
    assert helped.status_code == 200 and "andon.help" in helped.text, "other commands (own trigger_ids) still run"


def test_a_head_that_keeps_coming_is_refused_once_past_the_limit(andon: Andon) -> None:
    """A head sent in pieces and never finished: refused with 431 once it passes the limit (llhttp keeps
    what it has of a header; nothing bounds it but this), long before the read deadline."""
    host, port = andon.running.http.server_address[:2]  # type: ignore[union-attr]
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ")
        answer = b""
        for _ in range(40):  # 40 x 1 KiB, the limit is 16 KiB
            try:
                sock.sendall(b"a" * 1024)
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.01)
        answer = _drain(sock)
    assert _status(answer) == 431 and b"too large" in answer, answer[:200]
    _still_serving(andon)


@pytest.mark.parametrize("starts", [1e308, -1e308, "9999-99-99T99:99:99Z", None, [], {"a": 1}, "", 0])
def test_an_absurd_alert_start_time_is_a_clear_answer(andon: Andon, starts: object) -> None:
    payload = json.loads(ALERT.read_text())
    payload["alerts"][0]["startsAt"] = starts
    payload["groupKey"] = f"{{}}:{{startsAt={starts!r}}}"
    response = andon.http.post(f"{andon.url}/alertmanager", json=payload)
    assert response.status_code in (200, 202, 400), response.text
    assert "Traceback" not in response.text
    _still_serving(andon)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.binary(max_size=2000),
        st.recursive(
            st.none() | st.booleans() | st.floats() | st.text(max_size=40),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(
                        ["alerts", "labels", "annotations", "status", "startsAt", "groupKey", "commonLabels"]
                    ),
                    inner,
                    max_size=4,
                )
            ),
            max_leaves=20,
        ).map(lambda v: json.dumps(v).encode()),
    )
)
def test_fuzzed_webhook_bodies_never_get_a_500(andon: Andon, body: bytes) -> None:
    response = andon.http.post(f"{andon.url}/alertmanager", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code < 500, (body[:200], response.text[:200])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=1500),
    timestamp=st.one_of(st.none(), st.text(max_size=12)),
    signature=st.one_of(st.none(), st.text(max_size=80)),
)
def test_fuzzed_unsigned_slack_requests_are_refused_without_a_500(
    andon: Andon, body: bytes, timestamp: str | None, signature: str | None
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for name, value in (("X-Slack-Request-Timestamp", timestamp), ("X-Slack-Signature", signature)):
        if value is not None and value.isprintable() and value.isascii():
            headers[name] = value
    response = andon.http.post(f"{andon.url}/slack/events", content=body, headers=headers)
    assert response.status_code == 401, (body[:100], headers, response.status_code)


def test_a_webhook_flood_from_one_address_is_told_to_retry_later(andon: Andon) -> None:
    http = andon.running.http
    assert http is not None
    now = [1000.0]
    http.webhook_limit = edge.TokenBuckets(rate=2.0, burst=3.0, clock=lambda: now[0])
    payload = json.loads(ALERT.read_text())
    answers = [andon.http.post(f"{andon.url}/alertmanager", json=payload) for _ in range(8)]
    assert [a.status_code for a in answers[3:]] == [429] * 5
    assert all(a.status_code in (200, 202) for a in answers[:3])
    assert all(int(a.headers["Retry-After"]) == 1 for a in answers[3:])
    now[0] += 0.5  # one token back
    assert andon.http.post(f"{andon.url}/alertmanager", json=payload).status_code in (200, 202)
    assert andon.http.post(f"{andon.url}/alertmanager", json=payload).status_code == 429


def test_token_buckets_refill_at_their_rate() -> None:
    now = [0.0]
    buckets = edge.TokenBuckets(rate=10.0, burst=2.0, clock=lambda: now[0])
    assert buckets.take("a") == 0.0 and buckets.take("a") == 0.0
    assert buckets.take("a") == pytest.approx(0.1)
    assert buckets.take("b") == 0.0, "each address has its own bucket"
    now[0] += 0.1
    assert buckets.take("a") == 0.0
