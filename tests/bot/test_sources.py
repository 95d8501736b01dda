"""build_live_sources wires the backends that settings configure, and nothing else, with each HTTP telemetry
backend's auth and TLS settings."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from bot.sources import build_actuator, build_live_sources
from tests.support.fakehttp import recording_server
from tests.support.tls import self_signed_certificate
from tools.sources.actuators import AlertmanagerActuator, CompositeActuator, HttpActuator, KubernetesActuator
from tools.sources.kubernetes import KubernetesSource
from tools.sources.logfiles import LogFileSource
from tools.sources.loki import LokiSource


def test_no_backends_no_actuator(tmp_path: Path) -> None:
    assert build_actuator(load_settings(data_dir=tmp_path)) is None


def test_actuator_routes_follow_settings(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        kubernetes_url="http://127.0.0.1:6443",
        kubernetes_token="t",
        alertmanager_url="http://127.0.0.1:9093",
        automation_hooks={"flush": "http://127.0.0.1:1/f"},
        loki_url="http://127.0.0.1:3100",
    )
    sources = build_live_sources(settings)
    assert isinstance(sources.logs, LokiSource) and isinstance(sources.kubernetes, KubernetesSource)
    actuator = sources.actuator
    assert isinstance(actuator, CompositeActuator)
    assert actuator.actions == [
        "cordon_node",
        "create_silence",
        "restart_service",
        "rollback_deploy",
        "run_automation",
        "scale_service",
    ]
    assert isinstance(actuator.routes["rollback_deploy"], KubernetesActuator)
    assert isinstance(actuator.routes["create_silence"], AlertmanagerActuator)
    assert isinstance(actuator.routes["run_automation"], HttpActuator)


def test_flag_service_and_log_files(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, flag_url="http://127.0.0.1:8080", log_dir=tmp_path)
    sources = build_live_sources(settings)
    assert isinstance(sources.logs, LogFileSource)
    assert isinstance(sources.actuator, CompositeActuator) and sources.actuator.actions == ["toggle_flag"]


def test_backend_auth_settings_reach_the_wire(tmp_path: Path) -> None:
    basic = "Basic " + base64.b64encode(b"andon:pa55").decode()
    with recording_server() as server:
        server.route("GET", "/api/v1/query", {"status": "success", "data": {"resultType": "vector", "result": []}})
        server.route("GET", "/api/v2/alerts", [])
        server.route("POST", "/api/v2/silences", {"silenceID": "s1"})
        server.route(
            "GET", "/loki/api/v1/query_range", {"status": "success", "data": {"resultType": "streams", "result": []}}
        )
        settings = load_settings(
            data_dir=tmp_path,
            prometheus_url=server.url,
            prometheus_bearer_token="pr0m",
            alertmanager_url=server.url,
            alertmanager_basic_user="andon",
            alertmanager_basic_password="pa55",
            loki_url=server.url,
            loki_headers="X-Team: sre, X-Env=prod",
            loki_tenant="team-a",
        )
        sources = build_live_sources(settings)
        assert sources.metrics is not None and sources.alerts is not None and sources.logs is not None
        sources.metrics.query("up", 1.0)
        sources.alerts.alerts()
        sources.logs.lines(1.0, 2.0, "checkout")
        assert isinstance(sources.actuator, CompositeActuator)
        sources.actuator.execute("create_silence", "checkout", {"alertname": "HighErrorRatio"}, dry_run=False)

        def headers(method: str, path: str) -> dict[str, str]:
            return server.received(method, path)[0].headers

        assert headers("GET", "/api/v1/query")["authorization"] == "Bearer pr0m"
        assert headers("GET", "/api/v2/alerts")["authorization"] == basic
        assert headers("POST", "/api/v2/silences")["authorization"] == basic  # the actuator's client too
        loki = headers("GET", "/loki/api/v1/query_range")
        assert (loki["x-team"], loki["x-env"], loki["x-scope-orgid"]) == ("sre", "prod", "team-a")
        assert "authorization" not in loki


def test_contradictory_backend_settings_fail_at_load_naming_them(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="ANDON_PROMETHEUS_BEARER_TOKEN and ANDON_PROMETHEUS_BASIC_USER"):
        load_settings(
            data_dir=tmp_path,
            prometheus_url="http://127.0.0.1:9090",
            prometheus_bearer_token="t",
            prometheus_basic_user="u",
        )
    with pytest.raises(SettingsError, match="ANDON_LOKI_CA_FILE: no such file"):
        load_settings(data_dir=tmp_path, loki_url="https://127.0.0.1:3100", loki_ca_file=tmp_path / "missing.pem")
    # a backend that is not configured is not checked
    load_settings(data_dir=tmp_path, loki_ca_file=tmp_path / "missing.pem")


def test_a_ca_file_that_is_not_pem_fails_building_the_sources(tmp_path: Path) -> None:
    garbage = tmp_path / "ca.pem"
    garbage.write_text("not a certificate\n")
    settings = load_settings(data_dir=tmp_path, alertmanager_url="https://127.0.0.1:9093", alertmanager_ca_file=garbage)
    with pytest.raises(SettingsError, match="ANDON_ALERTMANAGER_CA_FILE"):
        build_actuator(settings)


def test_in_a_pod_kubernetes_is_read_and_acted_on_as_its_service_account(tmp_path: Path) -> None:
    certificate = self_signed_certificate(tmp_path)
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text("sa-token")
    (account / "namespace").write_text("andon")
    shutil.copy(certificate.cert_file, account / "ca.crt")
    with recording_server(tls=certificate.server_context()) as server:
        server.route("GET", "/api/v1/namespaces/shop/pods", {"kind": "PodList", "items": []})
        server.route("PATCH", "/api/v1/nodes/node-b", {"kind": "Node", "metadata": {"name": "node-b"}})
        host, port = server.hostport.rsplit(":", 1)
        settings = load_settings(data_dir=tmp_path, kubernetes_namespaces="shop")
        sources = build_live_sources(
            settings, {"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}, account
        )

        assert isinstance(sources.kubernetes, KubernetesSource) and sources.kubernetes.pods() == []
        assert isinstance(sources.actuator, CompositeActuator)
        sources.actuator.execute("cordon_node", "node-b", {"node": "node-b"}, dry_run=True)
        requests = server.received()
        assert [r.path for r in requests] == ["/api/v1/namespaces/shop/pods", "/api/v1/nodes/node-b"]
        assert {r.headers["authorization"] for r in requests} == {"Bearer sa-token"}


def test_no_kubernetes_outside_a_pod_without_settings(tmp_path: Path) -> None:
    sources = build_live_sources(load_settings(data_dir=tmp_path), {}, tmp_path / "absent")
    assert sources.kubernetes is None and sources.actuator is None
