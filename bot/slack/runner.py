"""Start and stop Andon's Slack front end: the Bolt app, Socket Mode or the HTTP server (which also
serves ``/healthz``, ``/metrics`` and ``/alertmanager`` in Socket Mode), over one Desk."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from slack_bolt import App

from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.desk import Desk
from bot.slack.server import AndonHTTPServer
from bot.slack.services import Services, build_services
from bot.slack.workspace import SlackWorkspace, make_web_client, response_url_answerer
from tools import ToolRegistry

__all__ = ["Running", "start", "Mode", "Sweeper", "RECOVERY_SWEEP_S"]

log = logging.getLogger(__name__)
Mode = Literal["socket", "http"]
RECOVERY_SWEEP_S = 10.0
"""How often unfinished work whose holder died is looked for: a third of the resume lease, so a takeover
follows a death within about one lease and a third."""


class Sweeper:
    """Queues ``work`` on the worker pool now and every ``every_s`` seconds until stopped."""

    def __init__(self, services: Services, work: Callable[[], Any], every_s: float) -> None:
        self._stop = threading.Event()

        def loop() -> None:
            while True:
                services.submit(work)
                if self._stop.wait(every_s):
                    return

        threading.Thread(target=loop, name="andon-sweeper", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()


@dataclass
class Running:
    desk: Desk
    app: App
    http: AndonHTTPServer | None
    socket: Any = None
    sweeper: Sweeper | None = None
    _stopped: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str | None:
        return self.http.url if self.http is not None else None

    def wait(self) -> None:
        self._stopped.wait()

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self.sweeper is not None:
            self.sweeper.stop()
        if self.socket is not None:
            self.socket.close()
        if self.http is not None:
            self.http.shutdown()
        self.desk.services.executor.shutdown(wait=False, cancel_futures=True)


def start(settings: Settings, mode: Mode = "socket", host: str = "127.0.0.1", port: int | None = 3000,
          telemetry: Path | None = None, kb: Any = None, registry: ToolRegistry | None = None,
          token_verification: bool = True) -> Running:
    """Build everything and start serving. ``port=None`` skips the HTTP server (Socket Mode only)."""
    settings.require("slack_bot_token", "slack_signing_secret" if mode == "http" else "slack_app_token")
    client = make_web_client(settings)
    services = build_services(settings, SlackWorkspace(client), telemetry=telemetry, kb=kb, registry=registry)
    desk = Desk(services, responder=response_url_answerer)
    app = build_app(settings, desk, client, token_verification=token_verification)
    http = None
    if mode == "http" or port is not None:
        token = settings.secret("webhook_token")
        if not token:
            log.warning("ANDON_WEBHOOK_TOKEN is not set: anyone who reaches port %s can post alerts to "
                        "/alertmanager, /grafana and /opsgenie", port)
        http = AndonHTTPServer((host, port or 0), desk, app if mode == "http" else None, webhook_token=token,
                              signing_secret=settings.secret("slack_signing_secret"),
                              pagerduty_secret=settings.secret("pagerduty_secret"))
        http.start()
    running = Running(desk=desk, app=app, http=http)
    services.submit(desk.alerts.recover)  # alerts a crash left unfinished
    running.sweeper = Sweeper(services, desk.finish_unfinished, RECOVERY_SWEEP_S)  # what a crash left undone
    if mode == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        running.socket = SocketModeHandler(app, app_token=settings.secret("slack_app_token"), web_client=client)
        running.socket.connect()
    return running
