"""docs/slack.md's HTTP mode and Alertmanager examples, run as written. The shell block starts ``andon serve``
with its placeholders (``…``) filled in, Slack's Web API the local fake (``ANDON_SLACK_API_URL``, the one
variable added) and the hosts it names (``prometheus:9090``, ``andon:3000``) on loopback: a real Prometheus and
PostgreSQL behind them. A real Alertmanager given the page's receiver then delivers an alert, which opens an
incident thread in the channel the block names; ``/andon help`` answers a signed request."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import yaml

from bench.fake_slack import FakeSlack
from tests.support.net import free_port, wait_http
from tests.support.postgres import require_postgres, scratch_database
from tests.support.servers import _running, require_binary, start_prometheus
from tests.support.slack_signing import SECRET, signed_headers

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "slack.md"
ALERT = [
    {
        "labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"},
        "annotations": {"summary": "checkout 5xx ratio above 5% for 2 minutes"},
    }
]


def _block(after: str, language: str) -> str:
    """The first ``language`` code block after the line starting with ``after``."""
    text = DOC.read_text()
    start = next(m.end() for m in re.finditer(rf"^{re.escape(after)}.*$", text, re.MULTILINE))
    return text[start:].split(f"```{language}\n", 1)[1].split("\n```", 1)[0]


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def test_the_http_mode_and_alertmanager_examples_work_as_written(tmp_path: Path, fake_slack: FakeSlack) -> None:
    require_postgres()
    alertmanager = require_binary("prometheus-alertmanager", "/usr/bin/prometheus-alertmanager")
    andon = Path(sys.executable).parent / "andon"
    assert andon.exists(), "the `andon` command the block runs (pip install -e .)"
    shell = _block("### HTTP mode", "sh")
    receivers = yaml.safe_load(_block("Alertmanager receiver", "yaml"))
    [hook] = receivers["receivers"][0]["webhook_configs"]
    assert hook["url"] == "http://andon:3000/alertmanager" and "--host 0.0.0.0 --port 3000" in shell
    channel = re.search(r"ANDON_INCIDENT_CHANNELS=(\S+)", shell).group(1)  # type: ignore[union-attr]
    token, port = secrets.token_hex(16), free_port()

    with start_prometheus(tmp_path, []) as prometheus, scratch_database() as database:
        filled = {
            "SLACK_BOT_TOKEN": "xoxb-docs",
            "SLACK_SIGNING_SECRET": SECRET,
            "ANDON_DATABASE_URL": database,
            "ANDON_WEBHOOK_TOKEN": token,
        }
        script = re.sub(r"\b(\w+)=\S*…\S*", lambda m: f"{m.group(1)}={shlex.quote(filled[m.group(1)])}", shell)
        script = script.replace("http://prometheus:9090", prometheus).replace("--port 3000", f"--port {port}")
        script = script.replace("\nandon serve", "\nexec andon serve")  # signals reach serve itself
        assert "…" not in script
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANDON_", "SLACK_", "OPENAI_"))}
        env.update(
            PATH=f"{andon.parent}:{env.get('PATH', '/usr/bin:/bin')}",
            ANDON_DATA_DIR=str(tmp_path / "data"),
            ANDON_CONFIG_FILE=str(tmp_path / "none.yaml"),
            ANDON_SLACK_API_URL=fake_slack.api_url,
        )
        serve = subprocess.Popen(
            ["bash", "-ec", script], cwd=tmp_path, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{url}/healthz", timeout_s=120)
            body = urlencode(
                {
                    "command": "/andon",
                    "text": "help",
                    "user_id": "U1",
                    "channel_id": channel,
                    "team_id": "T1",
                    "response_url": fake_slack.response_url(),
                }
            )
            helped = httpx.post(
                f"{url}/slack/events",
                content=body,
                timeout=10,
                headers={"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)},
            )
            assert helped.status_code == 200 and "/andon investigate" in helped.text
            assert httpx.post(f"{url}/alertmanager", json={"alerts": []}, timeout=10).status_code == 401

            (tmp_path / "andon-token").write_text(token)
            hook["url"] = hook["url"].replace("andon:3000", f"127.0.0.1:{port}")
            hook["http_config"]["authorization"]["credentials_file"] = str(tmp_path / "andon-token")
            home = tmp_path / "alertmanager"
            home.mkdir()
            (home / "alertmanager.yml").write_text(
                yaml.safe_dump(
                    {
                        "route": {
                            "receiver": "andon",
                            "group_by": ["alertname", "service"],
                            "group_wait": "1s",
                            "group_interval": "1s",
                            "repeat_interval": "1h",
                        },
                        **receivers,
                    }
                )
            )
            am_port = free_port()
            command = [
                alertmanager,
                f"--config.file={home / 'alertmanager.yml'}",
                f"--storage.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ]
            with _running(command, f"http://127.0.0.1:{am_port}/-/ready", home / "alertmanager.log"):
                assert httpx.post(f"http://127.0.0.1:{am_port}/api/v2/alerts", json=ALERT, timeout=10).is_success
                thread = fake_slack.wait_for(
                    lambda: [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("channel") == channel],
                    timeout=90,
                    what="the incident thread the alert opens",
                )
            assert "HighErrorRate" in str(thread[0].args)
        finally:
            if serve.poll() is None:
                serve.send_signal(signal.SIGINT)
            try:
                code = serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                serve.kill()
                code = serve.wait()
            output = serve.stdout.read() if serve.stdout else ""
        assert code == 0, output[-3000:]
    assert "will be unused" not in output and "Traceback" not in output, output[-3000:]
