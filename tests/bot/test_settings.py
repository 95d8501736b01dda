"""Settings as people type them: comma-separated lists, JSON where JSON is needed, one-line errors that
name the setting or the file's line, and a warning for keys ``andon.yaml`` does not know."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


def test_list_settings_take_commas_or_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ANDON_CONFIG_FILE", str(tmp_path / "none.yaml"))
    monkeypatch.setenv("ANDON_INCIDENT_CHANNELS", "C0123, C0456")
    assert load_settings().incident_channels == ["C0123", "C0456"]
    monkeypatch.setenv("ANDON_INCIDENT_CHANNELS", '["C0789"]')
    assert load_settings().incident_channels == ["C0789"]
    monkeypatch.setenv("ANDON_KNOWLEDGE_DIRS", "/srv/runbooks,/srv/postmortems")
    assert load_settings().knowledge_dirs == [Path("/srv/runbooks"), Path("/srv/postmortems")]


def test_a_dict_setting_that_is_not_json_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ANDON_CONFIG_FILE", str(tmp_path / "none.yaml"))
    monkeypatch.setenv("ANDON_TOPOLOGY", "checkout:payments")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "ANDON_TOPOLOGY: not valid JSON; expected a JSON object" in str(raised.value) and "\n" not in str(
        raised.value
    )


def test_a_malformed_config_file_names_its_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "andon.yaml"
    config.write_text("reasoner: rules\nincident_channels: [C1, C2\n")
    monkeypatch.setenv("ANDON_CONFIG_FILE", str(config))
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(config) in str(raised.value) and "line 3" in str(raised.value)


def test_unknown_config_keys_are_warned_about(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "andon.yaml"
    config.write_text("reasoner: rules\nincident_chanels: [C1]\n")
    monkeypatch.setenv("ANDON_CONFIG_FILE", str(config))
    with caplog.at_level(logging.WARNING, logger="bot.settings"):
        settings = load_settings()
    assert settings.incident_channels == [] and "incident_chanels" in caplog.text


def test_backend_headers_take_name_colon_value_or_name_equals_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDON_LOKI_HEADERS", "X-Team: sre, X-Env=prod, X-Origin=http://andon:8080")
    headers = load_settings().loki_headers
    assert {name: value.get_secret_value() for name, value in headers.items()} == {
        "X-Team": "sre",
        "X-Env": "prod",
        "X-Origin": "http://andon:8080",
    }
    monkeypatch.setenv("ANDON_LOKI_HEADERS", '{"X-Filter": "a,b"}')  # JSON for values with commas
    assert load_settings().loki_headers["X-Filter"].get_secret_value() == "a,b"


def test_a_malformed_header_is_named_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDON_PROMETHEUS_HEADERS", "X-Team: sre, X-Api-Key s3cret")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "ANDON_PROMETHEUS_HEADERS" in str(raised.value) and "header 2" in str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_backend_secrets_are_kept_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDON_ALERTMANAGER_URL", "https://alertmanager:9093")
    monkeypatch.setenv("ANDON_ALERTMANAGER_BASIC_USER", "andon")
    monkeypatch.setenv("ANDON_ALERTMANAGER_BASIC_PASSWORD", "pa55")
    monkeypatch.setenv("ANDON_ALERTMANAGER_HEADERS", "X-Api-Key: k3y")
    monkeypatch.setenv("ANDON_ALERTMANAGER_INSECURE_SKIP_VERIFY", "true")
    settings = load_settings()
    assert "pa55" not in repr(settings) and "k3y" not in repr(settings)
    auth = settings.backend_auth("alertmanager")
    assert (auth.basic_user, auth.basic_password, dict(auth.headers)) == ("andon", "pa55", {"X-Api-Key": "k3y"})
    assert auth.insecure_skip_verify and auth.bearer_token is None and auth.tenant is None


def test_kubernetes_namespaces_take_commas_or_json_and_must_be_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDON_KUBERNETES_NAMESPACES", "shop, payments,shop")
    assert load_settings().kubernetes_namespaces == ["shop", "payments"]
    monkeypatch.setenv("ANDON_KUBERNETES_NAMESPACES", '["shop"]')
    assert load_settings().kubernetes_namespaces == ["shop"]
    monkeypatch.setenv("ANDON_KUBERNETES_NAMESPACES", "shop,../kube-system")
    with pytest.raises(
        SettingsError, match="ANDON_KUBERNETES_NAMESPACES.*'../kube-system' is not a Kubernetes namespace"
    ):
        load_settings()


def test_kubernetes_access_is_one_way_or_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDON_KUBECONFIG", "/etc/andon/kubeconfig")
    monkeypatch.setenv("ANDON_KUBERNETES_CONTEXT", "prod")
    assert (load_settings().kubeconfig, load_settings().kubernetes_context) == ("/etc/andon/kubeconfig", "prod")
    monkeypatch.setenv("ANDON_KUBERNETES_URL", "https://k8s.example.com")
    with pytest.raises(SettingsError, match="ANDON_KUBERNETES_URL and ANDON_KUBECONFIG are both set"):
        load_settings()
    monkeypatch.delenv("ANDON_KUBECONFIG")
    with pytest.raises(SettingsError, match="ANDON_KUBERNETES_URL and ANDON_KUBERNETES_CONTEXT are both set"):
        load_settings()
    monkeypatch.delenv("ANDON_KUBERNETES_URL")
    monkeypatch.delenv("ANDON_KUBERNETES_CONTEXT")
    monkeypatch.setenv("ANDON_KUBERNETES_TOKEN", "t")
    with pytest.raises(SettingsError, match="ANDON_KUBERNETES_TOKEN is set without ANDON_KUBERNETES_URL"):
        load_settings()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "ANDON_TOPOLOGY",
            '{"checkout": "payments"}',
            "ANDON_TOPOLOGY: checkout: Input should be a valid list; expected a JSON object of service -> dependencies",
        ),
        ("ANDON_AUTOMATION_HOOKS", "flush=https://x", "ANDON_AUTOMATION_HOOKS: not valid JSON; expected a JSON object"),
        ("ANDON_KNOWLEDGE_DIRS", "[/srv/runbooks", "ANDON_KNOWLEDGE_DIRS: not a JSON list"),
    ],
)
def test_an_invalid_setting_names_the_variable_and_the_form_it_takes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv("ANDON_CONFIG_FILE", str(tmp_path / "none.yaml"))
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert expected in str(raised.value) and "\n" not in str(raised.value)


def test_where_serve_runs_its_work_and_the_store_durability_are_typed_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ANDON_CONFIG_FILE", str(tmp_path / "none.yaml"))
    monkeypatch.delenv("ANDON_WORKER", raising=False)
    assert (load_settings().worker, load_settings().sqlite_synchronous) == ("process", "normal")
    monkeypatch.setenv("ANDON_WORKER", " Thread ")
    monkeypatch.setenv("ANDON_SQLITE_SYNCHRONOUS", "FULL")
    assert (load_settings().worker, load_settings().sqlite_synchronous) == ("thread", "full")
    assert load_settings(worker="process").worker == "process", "the --worker flag wins over the environment"
    monkeypatch.setenv("ANDON_WORKER", "fork")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == "invalid settings: ANDON_WORKER: Input should be 'process' or 'thread'"
