"""Kubeconfig contexts resolved by the ``kubernetes`` client and spoken to with Andon's own HTTP client:
the chosen context's server and token, a CA by file (relative to the kubeconfig) or embedded, the
``tls-server-name`` a certificate is verified by, a client certificate a loopback API server requires, an
exec plugin re-run after a 401."""

from __future__ import annotations

import base64
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.fakehttp import RecordingServer, Reply, recording_server
from tests.support.tls import ClientCertificate, SelfSigned, client_certificate, self_signed_certificate
from tools.sources.kubeconfig import KubeconfigError, kubeconfig_connection
from tools.sources.kubernetes import KubernetesSource
from tools.sources.prometheus import BackendError

PODS = {"kind": "PodList", "apiVersion": "v1", "items": []}
UNAUTHORIZED = Reply({"kind": "Status", "code": 401, "message": "Unauthorized"}, status=401)
EXEC_API = "client.authentication.k8s.io/v1"
EXEC_PLUGIN = """\
import json, pathlib, sys
counter = pathlib.Path(sys.argv[1])
n = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(n))
print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                  "status": {"token": f"exec-token-{n}"}}))
"""


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def _kubeconfig(
    path: Path,
    clusters: dict[str, dict[str, Any]],
    users: dict[str, dict[str, Any]],
    contexts: dict[str, dict[str, Any]],
    current: str,
) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": current,
                "clusters": [{"name": name, "cluster": cluster} for name, cluster in clusters.items()],
                "users": [{"name": name, "user": user} for name, user in users.items()],
                "contexts": [{"name": name, "context": context} for name, context in contexts.items()],
            }
        )
    )
    return path


@pytest.fixture
def two_contexts(tmp_path: Path, certificate: SelfSigned, tls_server: RecordingServer, server: RecordingServer) -> Path:
    """``staging`` (current): a plain-HTTP server and its token; ``prod``: the TLS server, its CA by a path
    relative to the kubeconfig, its token, namespace ``shop``."""
    folder = tmp_path / "kube"
    folder.mkdir()
    (folder / "prod-ca.crt").write_bytes(certificate.cert_file.read_bytes())
    return _kubeconfig(
        folder / "config",
        clusters={
            "staging": {"server": server.url},
            "prod": {"server": tls_server.url, "certificate-authority": "prod-ca.crt"},
        },
        users={"staging-sre": {"token": "staging-token"}, "prod-sre": {"token": "prod-token"}},
        contexts={
            "staging": {"cluster": "staging", "user": "staging-sre"},
            "prod": {"cluster": "prod", "user": "prod-sre", "namespace": "shop"},
        },
        current="staging",
    )


def test_the_current_context_is_used_by_default(
    two_contexts: Path, server: RecordingServer, tls_server: RecordingServer
) -> None:
    server.route("GET", "/api/v1/pods", PODS)
    connection = kubeconfig_connection(str(two_contexts))
    assert (connection.url, connection.namespace) == (server.url, None)

    KubernetesSource(connection).pods()
    (request,) = server.received()
    assert request.headers["authorization"] == "Bearer staging-token"
    assert not tls_server.received()


def test_a_named_context_selects_its_server_token_ca_and_namespace(
    two_contexts: Path, server: RecordingServer, tls_server: RecordingServer
) -> None:
    tls_server.route("GET", "/api/v1/pods", PODS)
    connection = kubeconfig_connection(str(two_contexts), "prod")
    assert (connection.url, connection.namespace) == (tls_server.url, "shop")
    assert connection.ca_file == str(two_contexts.parent / "prod-ca.crt")
    assert "context prod" in connection.origin

    KubernetesSource(connection).pods()  # TLS verified against prod-ca.crt alone
    (request,) = tls_server.received()
    assert request.headers["authorization"] == "Bearer prod-token"
    assert not server.received()


def test_several_files_merge_as_kubeconfig_does(
    tmp_path: Path, two_contexts: Path, tls_server: RecordingServer
) -> None:
    connection = kubeconfig_connection(f"{tmp_path / 'absent'}:{two_contexts}", "prod")
    assert connection.url == tls_server.url


def test_an_unknown_context_or_file_is_named(two_contexts: Path, tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError, match=r"no context 'dev' \(it has: staging, prod\)"):
        kubeconfig_connection(str(two_contexts), "dev")
    with pytest.raises(KubeconfigError, match="no kubeconfig at"):
        kubeconfig_connection(str(tmp_path / "absent"))
    broken = tmp_path / "broken"
    broken.write_text("clusters: [\n")
    with pytest.raises(KubeconfigError, match="broken"):
        kubeconfig_connection(str(broken))


@pytest.fixture
def client(tmp_path: Path) -> ClientCertificate:
    folder = tmp_path / "client"
    folder.mkdir()
    return client_certificate(folder)


@pytest.fixture
def mutual_tls_server(certificate: SelfSigned, client: ClientCertificate) -> Iterator[RecordingServer]:
    """An API server that completes a TLS handshake only with a client certificate ``client.ca_file`` signed."""
    with recording_server(tls=certificate.server_context(client_ca=client.ca_file)) as started:
        started.route("GET", "/api/v1/pods", PODS)
        yield started


def test_a_client_certificate_from_the_kubeconfig_is_presented(
    tmp_path: Path, certificate: SelfSigned, client: ClientCertificate, mutual_tls_server: RecordingServer
) -> None:
    cluster = {"server": mutual_tls_server.url, "certificate-authority-data": _b64(certificate.cert_file)}
    with_cert = _kubeconfig(
        tmp_path / "with-cert",
        {"c": cluster},
        {"admin": {"client-certificate-data": _b64(client.cert_file), "client-key-data": _b64(client.key_file)}},
        {"admin": {"cluster": "c", "user": "admin"}},
        "admin",
    )
    connection = kubeconfig_connection(str(with_cert))
    assert connection.client_cert is not None

    assert KubernetesSource(connection).pods() == []
    (request,) = mutual_tls_server.received()
    assert "authorization" not in request.headers  # the certificate is the credential

    without = _kubeconfig(
        tmp_path / "without-cert",
        {"c": cluster},
        {"sre": {"token": "t"}},
        {"sre": {"cluster": "c", "user": "sre"}},
        "sre",
    )
    with pytest.raises(BackendError, match="unreachable"):
        KubernetesSource(kubeconfig_connection(str(without))).pods()
    assert len(mutual_tls_server.received()) == 1


def test_the_tls_server_name_is_asked_for_and_verified_in_place_of_the_address(tmp_path: Path) -> None:
    """``tls-server-name``: the server is reached at 127.0.0.1 but its certificate names only
    ``api.prod.internal``; without the setting the certificate is refused, with it the name is sent (SNI)
    and verified, as kubectl does."""
    named = self_signed_certificate(tmp_path, dns_name="api.prod.internal")
    context = named.server_context()
    asked: list[str | None] = []
    context.sni_callback = lambda _socket, name, _context: asked.append(name)
    with recording_server(tls=context) as api:
        api.route("GET", "/api/v1/pods", PODS)
        cluster = {"server": api.url, "certificate-authority-data": _b64(named.cert_file)}
        users, contexts = {"sre": {"token": "t"}}, {"prod": {"cluster": "prod", "user": "sre"}}
        by_address = _kubeconfig(tmp_path / "by-address", {"prod": cluster}, users, contexts, "prod")
        with pytest.raises(BackendError, match="unreachable"):
            KubernetesSource(kubeconfig_connection(str(by_address))).pods()
        assert not api.received()

        by_name = _kubeconfig(
            tmp_path / "by-name", {"prod": {**cluster, "tls-server-name": "api.prod.internal"}}, users, contexts, "prod"
        )
        connection = kubeconfig_connection(str(by_name))
        assert connection.server_name == "api.prod.internal"
        assert KubernetesSource(connection).pods() == []
        assert len(api.received()) == 1
    assert asked[-1] == "api.prod.internal"


def test_an_exec_plugin_token_is_used_and_renewed_after_a_401(tmp_path: Path, server: RecordingServer) -> None:
    plugin, counter = tmp_path / "plugin.py", tmp_path / "runs"
    plugin.write_text(EXEC_PLUGIN)
    config = _kubeconfig(
        tmp_path / "config",
        {"eks": {"server": server.url}},
        {
            "iam": {
                "exec": {
                    "apiVersion": EXEC_API,
                    "command": sys.executable,
                    "args": [str(plugin), str(counter)],
                    "interactiveMode": "Never",
                }
            }
        },
        {"eks": {"cluster": "eks", "user": "iam"}},
        "eks",
    )
    server.route(
        "GET",
        "/api/v1/pods",
        lambda request: PODS if request.headers.get("authorization") == "Bearer exec-token-2" else UNAUTHORIZED,
    )  # the first token has expired server-side

    KubernetesSource(kubeconfig_connection(str(config))).pods()

    sent = [r.headers.get("authorization") for r in server.received()]
    assert sent == ["Bearer exec-token-1", "Bearer exec-token-2"]
    assert counter.read_text() == "2"
