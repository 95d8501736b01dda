"""In-cluster access as a pod has it: the service-account directory (a temp dir here), the API server's
address from the environment, a loopback HTTPS server standing in for the API server, trusted through the
mounted ``ca.crt`` only; the bearer token re-read when the kubelet rotates it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.fakehttp import RecordedRequest, RecordingServer, Reply
from tests.support.tls import SelfSigned
from tools.sources.kubeconnection import (
    KubeConnection,
    StaticToken,
    TokenFile,
    in_cluster_connection,
    static_connection,
)
from tools.sources.kubernetes import KubernetesSource
from tools.sources.prometheus import BackendError

PODS = {"kind": "PodList", "apiVersion": "v1", "items": []}
UNAUTHORIZED = Reply(
    {"kind": "Status", "status": "Failure", "reason": "Unauthorized", "code": 401, "message": "Unauthorized"},
    status=401,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _service_account(
    directory: Path, certificate: SelfSigned | None, token: str = "token-1", namespace: str = "andon"
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "token").write_text(token + "\n")
    (directory / "namespace").write_text(namespace)
    if certificate is not None:
        shutil.copy(certificate.cert_file, directory / "ca.crt")
    return directory


def _environ(server: RecordingServer) -> dict[str, str]:
    host, port = server.hostport.rsplit(":", 1)
    return {"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}


def _accepting(token: str) -> Callable[[RecordedRequest], Any]:
    """A PodList for requests bearing ``token``, 401 for the rest (as the API server answers a stale token)."""
    return lambda request: PODS if request.headers.get("authorization") == f"Bearer {token}" else UNAUTHORIZED


def test_a_pod_is_detected_from_its_environment_and_mounted_files(tmp_path: Path, certificate: SelfSigned) -> None:
    account = _service_account(tmp_path / "sa", certificate, namespace="shop")
    environ = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}

    found = in_cluster_connection(environ, account)
    assert found is not None
    assert (found.url, found.namespace, found.ca_file) == ("https://10.96.0.1:443", "shop", str(account / "ca.crt"))
    assert isinstance(found.credentials, TokenFile) and found.credentials.authorization() == "Bearer token-1"

    ipv6 = in_cluster_connection({"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}, account)
    assert ipv6 is not None and ipv6.url == "https://[fd00::1]:443"


@pytest.mark.parametrize("missing", ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "token"])
def test_not_a_pod_without_the_address_or_the_token(tmp_path: Path, missing: str) -> None:
    account = _service_account(tmp_path / "sa", None)
    environ = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    if missing == "token":
        (account / "token").unlink()
    else:
        del environ[missing]
    assert in_cluster_connection(environ, account) is None


def test_in_cluster_reads_the_api_over_tls_with_the_mounted_ca_and_token(
    tmp_path: Path, certificate: SelfSigned, tls_server: RecordingServer
) -> None:
    tls_server.route("GET", "/api/v1/pods", _accepting("token-1"))
    connection = in_cluster_connection(_environ(tls_server), _service_account(tmp_path / "sa", certificate))
    assert connection is not None

    assert KubernetesSource(connection).pods() == []
    (request,) = tls_server.received("GET", "/api/v1/pods")
    assert request.headers["authorization"] == "Bearer token-1"


def test_without_the_mounted_ca_the_api_servers_certificate_is_refused(
    tmp_path: Path, tls_server: RecordingServer
) -> None:
    tls_server.route("GET", "/api/v1/pods", PODS)
    connection = in_cluster_connection(_environ(tls_server), _service_account(tmp_path / "sa", None))
    assert connection is not None and connection.ca_file is None

    with pytest.raises(BackendError, match="unreachable.*CERTIFICATE_VERIFY_FAILED"):
        KubernetesSource(connection).pods()
    assert not tls_server.received()


def test_a_rotated_token_is_picked_up_after_a_401(
    tmp_path: Path, certificate: SelfSigned, tls_server: RecordingServer
) -> None:
    account = _service_account(tmp_path / "sa", certificate)
    connection = in_cluster_connection(_environ(tls_server), account)
    assert connection is not None
    source = KubernetesSource(connection)
    tls_server.route("GET", "/api/v1/pods", _accepting("token-1"))
    source.pods()

    (account / "token").write_text("token-2")  # the kubelet rotates the projected token
    tls_server.route("GET", "/api/v1/pods", _accepting("token-2"))  # and the old one is no longer accepted
    source.pods()

    sent = [r.headers["authorization"] for r in tls_server.received("GET", "/api/v1/pods")]
    assert sent == ["Bearer token-1", "Bearer token-1", "Bearer token-2"]  # one 401, then the new token


def test_a_token_the_server_still_refuses_after_rereading_is_reported_once(
    tmp_path: Path, certificate: SelfSigned, tls_server: RecordingServer
) -> None:
    connection = in_cluster_connection(_environ(tls_server), _service_account(tmp_path / "sa", certificate))
    assert connection is not None
    tls_server.route("GET", "/api/v1/pods", UNAUTHORIZED)

    with pytest.raises(BackendError, match="401 Unauthorized"):
        KubernetesSource(connection).pods()
    assert len(tls_server.received()) == 1  # the token file did not change: no second try


def test_the_token_file_is_reread_once_a_minute(tmp_path: Path) -> None:
    path, clock = tmp_path / "token", Clock()
    path.write_text("token-1")
    token = TokenFile(path, clock=clock)
    assert token.authorization() == "Bearer token-1"

    path.write_text("token-2")
    clock.now += 59
    assert token.authorization() == "Bearer token-1"  # not yet
    clock.now += 1
    assert token.authorization() == "Bearer token-2"

    path.unlink()  # mid-rotation: keep the last token
    clock.now += 60
    assert token.authorization() == "Bearer token-2"
    assert token.refresh() is False
    path.write_text("token-3")
    assert token.refresh() is True and token.authorization() == "Bearer token-3"


def test_the_token_rotated_within_the_minute_is_sent_after_it(
    tmp_path: Path, certificate: SelfSigned, tls_server: RecordingServer
) -> None:
    account, clock = _service_account(tmp_path / "sa", certificate), Clock()
    connection = KubeConnection(
        tls_server.url, TokenFile(account / "token", clock=clock), ca_file=str(account / "ca.crt")
    )
    tls_server.route("GET", "/api/v1/pods", PODS)
    source = KubernetesSource(connection)
    source.pods()
    (account / "token").write_text("token-2")
    clock.now += 61
    source.pods()

    sent = [r.headers["authorization"] for r in tls_server.received()]
    assert sent == ["Bearer token-1", "Bearer token-2"]  # no 401 needed


def test_static_connections_and_their_secrets() -> None:
    connection = static_connection("http://127.0.0.1:8001/", "s3cret")
    assert connection.url == "http://127.0.0.1:8001"
    assert connection.credentials is not None and connection.credentials.authorization() == "Bearer s3cret"
    assert "s3cret" not in repr(connection)
    assert static_connection("http://127.0.0.1:8001").credentials is None
    assert StaticToken("t").refresh() is False


def test_unusable_tls_files_are_named(tmp_path: Path) -> None:
    garbage = tmp_path / "ca.crt"
    garbage.write_text("not a certificate")
    with pytest.raises(ValueError, match="ca.crt.*not usable PEM"):
        KubeConnection("https://127.0.0.1:6443", ca_file=str(garbage)).tls()
