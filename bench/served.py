"""``andon serve --mode http`` as a real child process on loopback, talking to the benchmarks' fake Slack
with replayed telemetry — and the signed requests Slack would send it."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.fake_slack import Call, FakeSlack
from bench.system import rss_mb

__all__ = [
    "ServedAndon",
    "InProcessAndon",
    "serve",
    "warm_knowledge",
    "ROOT",
    "EXAMPLES",
    "SECRET",
    "CHANNEL",
    "signed",
    "mention_request",
    "command_request",
    "alert_payload",
]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "alerts"
SECRET = "bench-signing-secret-0123456789abcdef"
CHANNEL = "CINCIDENT1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def warm_knowledge(workdir: Path) -> Path:
    """A data directory whose knowledge base is already ingested (made once per bench run), so servers
    start the way they restart in production rather than re-ingesting on every start."""
    from bot.runtime import open_knowledge
    from bot.settings import load_settings

    data = workdir / "warm-data"
    if not (data / "knowledge.stamp").exists():
        open_knowledge(load_settings(data_dir=data, reasoner="rules"))
    return data


class ServedAndon:
    """``andon serve --mode http`` in a child process: ``with ServedAndon(telemetry) as served:``; stops (and
    kills, if it must) on exit. ``data_from`` is copied in as the data directory (a warm knowledge base)."""

    kind = "subprocess (andon serve --mode http)"

    def __init__(self, telemetry: Path, data_from: Path | None = None, start_timeout_s: float = 180.0) -> None:
        self.telemetry = telemetry
        self.data_from = data_from
        self.start_timeout_s = start_timeout_s
        self.slack = FakeSlack(clock=time.perf_counter)
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.started_in_s = 0.0
        self._tmp = tempfile.TemporaryDirectory(prefix="andon-bench-serve-")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss_mb(self) -> float | None:
        return rss_mb(self.pid)

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANDON_", "SLACK_", "OPENAI_"))}
        data = Path(self._tmp.name)
        env.update(
            SLACK_BOT_TOKEN="xoxb-bench",
            SLACK_SIGNING_SECRET=SECRET,
            ANDON_SLACK_API_URL=self.slack.api_url,
            ANDON_INCIDENT_CHANNELS=json.dumps([CHANNEL]),
            ANDON_DATA_DIR=str(data / "data"),
            ANDON_CONFIG_FILE=str(data / "none.yaml"),
            ANDON_REASONER="rules",
        )
        return env

    def __enter__(self) -> ServedAndon:
        if self.data_from is not None:
            shutil.copytree(self.data_from, Path(self._tmp.name) / "data")
        self.slack.start()
        started = time.perf_counter()
        log = open(Path(self._tmp.name) / "serve.log", "wb")  # noqa: SIM115 — closed with the process
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "andon",
                "serve",
                "--mode",
                "http",
                "--port",
                str(self.port),
                "--telemetry",
                str(self.telemetry),
            ],
            cwd=ROOT,
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        try:
            self._wait_healthy()
        except Exception:
            self.__exit__()
            raise
        self.started_in_s = time.perf_counter() - started
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"andon serve exited with {self.process.returncode}: {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"andon serve did not answer /healthz within {self.start_timeout_s}s: {self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        path = Path(self._tmp.name) / "serve.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.slack.stop()
        self._tmp.cleanup()

    def rca_cards(self) -> list[Call]:
        return self.slack.posts_with("andon.rca.header")


class InProcessAndon:
    """The same server started in this process (``bot.slack.runner.start``) over an already-open knowledge
    base: no interpreter start-up, for --quick. Its work pool is drained on exit, so no investigation
    outlives the benchmark and slows the next one."""

    kind = "in-process (bot.slack.runner.start)"

    def __init__(self, telemetry: Path, data_from: Path) -> None:
        self.telemetry = telemetry
        self.data_from = data_from
        self.slack = FakeSlack(clock=time.perf_counter)
        self.started_in_s = 0.0
        self._tmp = tempfile.TemporaryDirectory(prefix="andon-bench-inproc-")
        self._running: Any = None

    @property
    def url(self) -> str:
        assert self._running is not None and self._running.url is not None
        return str(self._running.url)

    def __enter__(self) -> InProcessAndon:
        from bot.runtime import open_knowledge
        from bot.settings import load_settings
        from bot.slack.runner import start

        started = time.perf_counter()
        self.slack.start()
        kb = open_knowledge(load_settings(data_dir=self.data_from, reasoner="rules"))
        settings = load_settings(
            data_dir=Path(self._tmp.name),
            slack_bot_token="xoxb-bench",
            slack_signing_secret=SECRET,
            slack_api_url=self.slack.api_url,
            incident_channels=[CHANNEL],
            reasoner="rules",
        )
        self._running = start(settings, mode="http", port=_free_port(), telemetry=self.telemetry, kb=kb)
        self.started_in_s = time.perf_counter() - started
        return self

    def __exit__(self, *exc: object) -> None:
        if self._running is not None:
            if self._running.http is not None:
                self._running.http.shutdown()
            listeners = getattr(getattr(self._running.app, "listener_runner", None), "listener_executor", None)
            if listeners is not None:  # events Bolt acknowledged but has not handled yet
                listeners.shutdown(wait=True)
            self._running.stop()  # the pool takes no more work: what running work submits is dropped, quietly
            self._running.desk.deps.stop(wait=True)
        self.slack.stop()
        self._tmp.cleanup()

    def rca_cards(self) -> list[Call]:
        return self.slack.posts_with("andon.rca.header")


def serve(telemetry: Path, workdir: Path, in_process: bool) -> ServedAndon | InProcessAndon:
    """A server over a warm knowledge base: in this process (quick runs) or as ``andon serve``."""
    data = warm_knowledge(workdir)
    return InProcessAndon(telemetry, data) if in_process else ServedAndon(telemetry, data_from=data)


def signed(body: str, content_type: str, secret: str = SECRET) -> dict[str, str]:
    """Headers Slack sends: ``X-Slack-Signature = v0=HMAC-SHA256(secret, "v0:{ts}:{body}")``."""
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def mention_request(text: str, ts: str, event_id: str, channel: str = "CGENERAL01") -> tuple[str, dict[str, str]]:
    """An ``app_mention`` event callback, as body and signed headers."""
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": "TBENCH001",
            "api_app_id": "AANDON01",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": {
                "type": "app_mention",
                "user": "UREPORTER",
                "text": f"<@UANDONBOT> {text}",
                "ts": ts,
                "channel": channel,
                "event_ts": ts,
            },
            "authorizations": [{"team_id": "TBENCH001", "user_id": "UANDONBOT", "is_bot": True}],
        }
    )
    return body, signed(body, "application/json")


def command_request(
    text: str, response_url: str, channel: str = CHANNEL, user: str = "UONCALL01", trigger_id: str = "1.2.3"
) -> tuple[str, dict[str, str]]:
    """A ``/andon`` slash command, as body and signed headers. Slack gives every command its own
    ``trigger_id``: commands sent with the same one in the same second are the same signed bytes, which
    the server answers as a replay."""
    body = urlencode(
        {
            "token": "legacy",
            "team_id": "TBENCH001",
            "channel_id": channel,
            "user_id": user,
            "command": "/andon",
            "text": text,
            "trigger_id": trigger_id,
            "response_url": response_url,
        }
    )
    return body, signed(body, "application/x-www-form-urlencoded")


def alert_payload(example: Path, tag: str) -> dict[str, Any]:
    """An example Alertmanager webhook made into a distinct alert group (so it opens its own incident)."""
    payload: dict[str, Any] = copy.deepcopy(json.loads(example.read_text()))
    payload["groupKey"] = f"{payload.get('groupKey', '')}:bench-{tag}"
    for index, alert in enumerate(payload.get("alerts") or []):
        alert["fingerprint"] = hashlib.sha256(f"{tag}:{index}".encode()).hexdigest()[:16]
    return payload
