"""kubernetes_connection chooses one way in, in order: ANDON_KUBERNETES_URL, a kubeconfig asked for, the pod's
service account; a developer's kubeconfig is never used unasked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cluster_access import kubernetes_connection
from bot.settings import SettingsError, load_settings
from tools.sources.kubeconfig import KubeconfigCredentials
from tools.sources.kubeconnection import StaticToken, TokenFile

POD = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}


def _kubeconfig(path: Path, *servers: str) -> Path:
    """One context per server, named ``c0``, ``c1``…; the first is current."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [f"c{i}" for i in range(len(servers))]
    path.write_text(
        yaml.safe_dump(
            {
                "current-context": names[0],
                "clusters": [{"name": n, "cluster": {"server": s}} for n, s in zip(names, servers, strict=True)],
                "users": [{"name": n, "user": {"token": f"{n}-token"}} for n in names],
                "contexts": [{"name": n, "context": {"cluster": n, "user": n}} for n in names],
            }
        )
    )
    return path


@pytest.fixture
def service_account(tmp_path: Path) -> Path:
    folder = tmp_path / "serviceaccount"
    folder.mkdir()
    (folder / "token").write_text("sa-token")
    (folder / "namespace").write_text("andon")
    return folder


def test_a_url_wins_with_its_token(tmp_path: Path, service_account: Path) -> None:
    settings = load_settings(data_dir=tmp_path, kubernetes_url="http://127.0.0.1:8001", kubernetes_token="t")
    found = kubernetes_connection(settings, POD, service_account)
    assert found is not None and found.url == "http://127.0.0.1:8001"
    assert isinstance(found.credentials, StaticToken) and found.credentials.authorization() == "Bearer t"


def test_a_kubeconfig_asked_for_wins_over_the_pods_account(tmp_path: Path, service_account: Path) -> None:
    config = _kubeconfig(tmp_path / "kubeconfig", "https://staging.example.com:6443", "https://prod.example.com:6443")
    found = kubernetes_connection(
        load_settings(data_dir=tmp_path, kubeconfig=str(config), kubernetes_context="c1"), POD, service_account
    )
    assert found is not None and found.url == "https://prod.example.com:6443"
    assert (
        isinstance(found.credentials, KubeconfigCredentials) and found.credentials.authorization() == "Bearer c1-token"
    )


def test_a_context_alone_reads_kubeconfig_then_the_home_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    named = _kubeconfig(tmp_path / "named", "https://a.example.com", "https://b.example.com")
    settings = load_settings(data_dir=tmp_path, kubernetes_context="c1")
    found = kubernetes_connection(settings, {"KUBECONFIG": str(named)})
    assert found is not None and found.url == "https://b.example.com"

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    _kubeconfig(tmp_path / "home" / ".kube" / "config", "https://c.example.com", "https://d.example.com")
    found = kubernetes_connection(settings, {})
    assert found is not None and found.url == "https://d.example.com"


def test_a_kubeconfig_is_never_used_unasked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    named = _kubeconfig(tmp_path / "named", "https://a.example.com")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    _kubeconfig(tmp_path / "home" / ".kube" / "config", "https://c.example.com")
    assert (
        kubernetes_connection(
            load_settings(data_dir=tmp_path), {"KUBECONFIG": str(named)}, tmp_path / "no-serviceaccount"
        )
        is None
    )


def test_in_a_pod_its_service_account_unless_turned_off(tmp_path: Path, service_account: Path) -> None:
    found = kubernetes_connection(load_settings(data_dir=tmp_path), POD, service_account)
    assert found is not None and (found.url, found.namespace) == ("https://10.96.0.1:443", "andon")
    assert isinstance(found.credentials, TokenFile) and found.credentials.authorization() == "Bearer sa-token"

    off = load_settings(data_dir=tmp_path, kubernetes_in_cluster=False)
    assert kubernetes_connection(off, POD, service_account) is None


def test_an_unusable_kubeconfig_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="ANDON_KUBECONFIG: no kubeconfig at"):
        kubernetes_connection(load_settings(data_dir=tmp_path, kubeconfig=str(tmp_path / "absent")), {})
    config = _kubeconfig(tmp_path / "kubeconfig", "https://a.example.com")
    with pytest.raises(SettingsError, match="ANDON_KUBERNETES_CONTEXT: .*no context 'prod' \\(it has: c0\\)"):
        kubernetes_connection(load_settings(data_dir=tmp_path, kubernetes_context="prod"), {"KUBECONFIG": str(config)})
