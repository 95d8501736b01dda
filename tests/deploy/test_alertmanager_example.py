"""examples/alertmanager/route.yml: a configuration Alertmanager accepts, sending to the Service the
manifests create, with the bearer token from a file."""

from __future__ import annotations

import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
import yaml

from tests.deploy.conftest import ROOT
from tests.deploy.manifests import by_kind, documents

EXAMPLE = ROOT / "examples" / "alertmanager" / "route.yml"


def test_receiver_posts_to_andons_webhook_with_a_bearer_token_file() -> None:
    config = yaml.safe_load(EXAMPLE.read_text())
    (andon,) = [r for r in config["receivers"] if r["name"] == "andon"]
    (webhook,) = andon["webhook_configs"]
    assert webhook["http_config"]["authorization"]["type"] == "Bearer"
    assert webhook["http_config"]["authorization"]["credentials_file"].startswith("/")
    assert webhook["send_resolved"] is True
    url = urlsplit(webhook["url"])
    plain = [obj for path in (ROOT / "deploy" / "kubernetes").glob("*.yaml") for obj in documents(path.read_text())]
    (service,) = by_kind(plain, "Service")
    meta = service["metadata"]
    assert url.hostname == f"{meta['name']}.{meta['namespace']}.svc"
    assert url.port == service["spec"]["ports"][0]["port"]
    assert url.path == "/alertmanager"


def _amtool() -> str:
    found = shutil.which("amtool")
    if found is None:
        pytest.skip("amtool not installed (Debian's prometheus-alertmanager, which scripts/setup.sh installs)")
    return found


def test_alertmanager_accepts_the_example() -> None:
    done = subprocess.run([_amtool(), "check-config", str(EXAMPLE)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("severity", "receivers"), [("critical", "andon,on-call"), ("warning", "andon,on-call"), ("info", "on-call")]
)
def test_alerts_reach_andon_and_still_the_people_on_call(severity: str, receivers: str) -> None:
    done = subprocess.run(
        [
            _amtool(),
            "config",
            "routes",
            "test",
            f"--config.file={EXAMPLE}",
            f"severity={severity}",
            "alertname=CheckoutLatencyHigh",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == receivers
