"""build_http_client under the real sources, against loopback servers that check what arrives: bearer and
basic credentials, extra and tenant headers, retries, a private CA over TLS; and the settings that
contradict themselves, refused with their names."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.fakehttp import RecordedRequest, RecordingServer, Reply
from tests.support.net import free_port
from tests.support.tls import SelfSigned
from tools.sources.alertmanager import AlertmanagerSource
from tools.sources.http_client import BackendAuth, build_http_client, environment_proxy
from tools.sources.loki import LokiSource
from tools.sources.prometheus import BackendError, PrometheusSource
from tools.sources.retrying import FIRST_BACKOFF_S

QUERY = "/api/v1/query"
VECTOR = {
    "status": "success",
    "data": {
        "resultType": "vector",
        "result": [{"metric": {"__name__": "up", "service": "checkout"}, "value": [1714564800, "1"]}],
    },
}


def _only_if(allowed: Callable[[RecordedRequest], bool], answer: Any) -> Callable[[RecordedRequest], Any]:
    """``answer`` for requests ``allowed`` lets through, 401 for the rest (as an auth proxy answers)."""
    return lambda request: answer if allowed(request) else Reply("Unauthorized", status=401)


def _prometheus(url: str, auth: BackendAuth | None = None) -> PrometheusSource:
    return PrometheusSource(url, build_http_client(url, auth))


def test_a_bearer_token_is_accepted_and_a_wrong_one_reported(server: RecordingServer) -> None:
    server.route("GET", QUERY, _only_if(lambda r: r.headers.get("authorization") == "Bearer s3cret", VECTOR))

    series = _prometheus(server.url, BackendAuth(bearer_token="s3cret")).query("up", 1714564800.0)
    assert [s.labels["service"] for s in series] == ["checkout"]

    with pytest.raises(BackendError, match=r"Prometheus.*401"):
        _prometheus(server.url, BackendAuth(bearer_token="wrong")).query("up", 1714564800.0)
    with pytest.raises(BackendError, match=r"Prometheus.*401"):
        _prometheus(server.url).query("up", 1714564800.0)
    assert len(server.received()) == 3  # a 401 is not retried


def test_basic_auth_reaches_alertmanager(server: RecordingServer) -> None:
    expected = "Basic " + base64.b64encode(b"andon:pa55").decode()
    server.route(
        "GET",
        "/api/v2/alerts",
        _only_if(lambda r: r.headers.get("authorization") == expected, [{"labels": {"alertname": "HighErrorRatio"}}]),
    )

    def alertmanager(auth: BackendAuth) -> AlertmanagerSource:
        return AlertmanagerSource(server.url, build_http_client(server.url, auth))

    alerts = alertmanager(BackendAuth(basic_user="andon", basic_password="pa55")).alerts()
    assert alerts == [{"labels": {"alertname": "HighErrorRatio"}}]
    with pytest.raises(BackendError, match=r"Alertmanager error 401"):
        alertmanager(BackendAuth(basic_user="andon", basic_password="guess")).alerts()


def test_extra_headers_and_the_tenant_reach_loki(server: RecordingServer, wire: Any) -> None:
    server.route("GET", "/loki/api/v1/query_range", wire("loki_query_range"))
    auth = BackendAuth(headers={"X-Team": "sre", "X-Api-Key": "k3y"}, tenant="team-a")
    lines = LokiSource(server.url, build_http_client(server.url, auth)).lines(1714564800.0, 1714565100.0, "checkout")

    assert lines
    headers = server.received()[0].headers
    assert (headers.get("x-team"), headers.get("x-api-key"), headers.get("x-scope-orgid")) == ("sre", "k3y", "team-a")
    assert "authorization" not in headers


def test_an_unavailable_backend_is_retried_until_it_answers(server: RecordingServer) -> None:
    answers = [Reply("warming up", status=503, headers={"Retry-After": "0"}), Reply(VECTOR)]
    server.route("GET", QUERY, lambda request: answers.pop(0) if len(answers) > 1 else answers[0])
    assert len(_prometheus(server.url).query("up", 1714564800.0)) == 1
    assert len(server.received()) == 2


def test_a_bad_request_is_not_retried(server: RecordingServer) -> None:
    server.route("GET", QUERY, Reply({"status": "error", "errorType": "bad_data", "error": "parse error"}, status=400))
    with pytest.raises(BackendError, match=r"Prometheus error 400: parse error"):
        _prometheus(server.url).query("up{", 1714564800.0)
    assert len(server.received()) == 1


def test_a_refused_connection_is_retried_then_reported() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(BackendError, match=rf"Alertmanager at {url} unreachable"):
        AlertmanagerSource(url, build_http_client(url)).alerts()
    assert time.monotonic() - started >= FIRST_BACKOFF_S * 3  # waited before each of two retries (1x, 2x)


def test_a_private_ca_is_trusted_through_ca_file(tls_server: RecordingServer, certificate: SelfSigned) -> None:
    tls_server.route("GET", QUERY, VECTOR)
    assert tls_server.url.startswith("https://")

    assert len(_prometheus(tls_server.url, BackendAuth(ca_file=certificate.cert_file)).query("up", 1.0)) == 1
    with pytest.raises(
        BackendError, match=r"Prometheus at https://127\.0\.0\.1:\d+ unreachable: .*CERTIFICATE_VERIFY_FAILED"
    ):
        _prometheus(tls_server.url).query("up", 1.0)
    assert len(_prometheus(tls_server.url, BackendAuth(insecure_skip_verify=True)).query("up", 1.0)) == 1
    assert len(tls_server.received()) == 2


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"bearer_token": "t", "basic_user": "u"}, ["ANDON_PROMETHEUS_BEARER_TOKEN", "ANDON_PROMETHEUS_BASIC_USER"]),
        ({"bearer_token": "t", "basic_password": "p"}, ["ANDON_PROMETHEUS_BEARER_TOKEN"]),
        ({"basic_password": "p"}, ["ANDON_PROMETHEUS_BASIC_PASSWORD", "ANDON_PROMETHEUS_BASIC_USER"]),
        ({"ca_file": Path("/nonexistent/ca.pem")}, ["ANDON_PROMETHEUS_CA_FILE", "/nonexistent/ca.pem"]),
        (
            {"ca_file": Path(__file__), "insecure_skip_verify": True},
            ["ANDON_PROMETHEUS_CA_FILE", "ANDON_PROMETHEUS_INSECURE_SKIP_VERIFY"],
        ),
        (
            {"headers": {"Authorization": "Bearer x"}, "bearer_token": "t"},
            ["ANDON_PROMETHEUS_HEADERS", "ANDON_PROMETHEUS_BEARER_TOKEN"],
        ),
        ({"headers": {"X-Scope-OrgID": "a"}, "tenant": "b"}, ["ANDON_PROMETHEUS_HEADERS", "ANDON_PROMETHEUS_TENANT"]),
        ({"headers": {"X Team": "sre"}}, ["ANDON_PROMETHEUS_HEADERS", "'X Team'"]),
        ({"headers": {"X-Team": "sre\r\nX-Evil: 1"}}, ["ANDON_PROMETHEUS_HEADERS", "X-Team"]),
        ({"timeout_s": 0.0}, ["timeout"]),
    ],
)
def test_contradictions_are_refused_naming_the_settings(given: dict[str, Any], named: list[str]) -> None:
    with pytest.raises(ValueError) as raised:
        BackendAuth(settings_prefix="ANDON_PROMETHEUS_", **given)
    assert all(name in str(raised.value) for name in named), str(raised.value)


def test_without_a_prefix_errors_name_the_fields() -> None:
    with pytest.raises(ValueError, match="^bearer_token and basic_user are both set"):
        BackendAuth(bearer_token="t", basic_user="u")


def test_a_ca_file_that_is_not_pem_is_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "ca.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(ValueError, match="ANDON_LOKI_CA_FILE: .*not a readable PEM CA bundle"):
        build_http_client("https://loki:3100", BackendAuth(ca_file=garbage, settings_prefix="ANDON_LOKI_"))


def test_secrets_stay_out_of_repr() -> None:
    shown = repr(BackendAuth(bearer_token="t0ken", headers={"X-Api-Key": "k3y"}))
    assert "t0ken" not in shown and "k3y" not in shown
    shown = repr(BackendAuth(basic_user="andon", basic_password="pa55"))
    assert "pa55" not in shown and "andon" in shown


def test_the_environment_proxy_is_still_used(server: RecordingServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", server.url)
    server.route("GET", QUERY, VECTOR)  # the proxy answers for the backend; nothing leaves the loopback

    backend = "http://prometheus.internal.invalid:9090"
    assert len(_prometheus(backend).query("up", 1.0)) == 1
    assert server.received()[0].headers["host"] == "prometheus.internal.invalid:9090"

    monkeypatch.setenv("no_proxy", "internal.invalid")
    assert environment_proxy(backend) is None
    assert environment_proxy("http://loki:3100") == server.url
