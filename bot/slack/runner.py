"""Start and stop Andon's Slack front end: the Bolt app, Socket Mode or the HTTP server (which also
serves ``/healthz``, ``/metrics`` and ``/alertmanager`` in Socket Mode), over one Desk — and, with
``worker="process"``, the worker process that runs the investigations (``bot.slack.worker``)."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from slack_bolt import App

from bot.chat.deps import build_deps
from bot.chat.desk import Desk
from bot.chat.handoff import send_to_worker
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.edge.exposition import MetricsWithWorker
from bot.slack.server import AndonHTTPServer
from bot.slack.sweeper import RECOVERY_SWEEP_S, Sweeper
from bot.slack.worker import WorkerProcess, WorkerSpec
from bot.slack.workspace import SlackWorkspace, make_web_client, response_url_answerer
from tools import ToolRegistry

__all__ = ["Running", "start", "Mode", "WorkerMode", "Sweeper", "RECOVERY_SWEEP_S"]

log = logging.getLogger(__name__)
Mode = Literal["socket", "http"]
WorkerMode = Literal["process", "thread"]
"""Where investigations and slash-command jobs run: a worker process of their own (``andon serve``), or the
worker pool of the process that answers Slack (tests, and anything embedding the server)."""
WORKER_METRICS = "worker-metrics.prom"
"""The worker process's metrics, in the data directory, which the serving process's ``/metrics`` adds."""


@dataclass
class Running:
    desk: Desk
    app: App
    http: AndonHTTPServer | None
    socket: Any = None
    sweeper: Sweeper | None = None
    worker: WorkerProcess | None = None
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
        if self.worker is not None:
            self.worker.stop()
        if self.socket is not None:
            self.socket.close()
        if self.http is not None:
            self.http.shutdown()
        self.desk.deps.stop()


def start(
    settings: Settings,
    mode: Mode = "socket",
    host: str = "127.0.0.1",
    port: int | None = 3000,
    telemetry: Path | None = None,
    kb: Any = None,
    registry: ToolRegistry | None = None,
    token_verification: bool = True,
    worker: WorkerMode = "thread",
) -> Running:
    """Build everything and start serving. ``port=None`` skips the HTTP server (Socket Mode only). With
    ``worker="process"`` the jobs run in a worker process, which builds its own knowledge base and tool
    registry from ``settings`` (``kb`` and ``registry`` serve this process only)."""
    serving_since = time.time()
    settings.require("slack_bot_token", "slack_signing_secret" if mode == "http" else "slack_app_token")
    client = make_web_client(settings)
    deps = build_deps(settings, SlackWorkspace(client), telemetry=telemetry, kb=kb, registry=registry)
    handoff = None
    if worker == "process":
        metrics_file = settings.data_dir / WORKER_METRICS
        metrics_file.unlink(missing_ok=True)  # a dead worker's numbers are not this one's
        deps.metrics = MetricsWithWorker(metrics_file)
        handoff = WorkerProcess(WorkerSpec(settings, telemetry, serving_since, os.getpid(), metrics_file))
    desk = Desk(deps, responder=response_url_answerer)
    if handoff is not None:
        send_to_worker(desk, handoff.wake)
    app = build_app(
        settings, desk, client, token_verification=token_verification, verified_before=mode == "http"
    )  # the edge checks signatures (SLACK_SIGNING_SECRET is required)
    if handoff is not None and not handoff.start():  # it sweeps for what a crash left undone, and runs the jobs
        log.warning("the worker process is not ready yet; serving anyway (jobs wait in the database)")
    try:
        http = _http_server(settings, desk, app, mode, host, port)
    except BaseException:  # a taken port: the worker goes with the server that never started
        if handoff is not None:
            handoff.stop()
        raise
    running = Running(desk=desk, app=app, http=http, worker=handoff)
    deps.submit(desk.alerts.recover)  # alerts a crash left unfinished (their investigations go as jobs)
    deps.submit(deps.reader)  # the graph `/andon status` reads with, compiled before anyone asks
    if handoff is None:
        running.sweeper = Sweeper(deps, desk.finish_unfinished, RECOVERY_SWEEP_S)
    if mode == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        running.socket = SocketModeHandler(app, app_token=settings.secret("slack_app_token"), web_client=client)
        running.socket.connect()
    return running


def _http_server(
    settings: Settings, desk: Desk, app: App, mode: Mode, host: str, port: int | None
) -> AndonHTTPServer | None:
    if mode != "http" and port is None:
        return None
    token = settings.secret("webhook_token")
    if not token:
        log.warning(
            "ANDON_WEBHOOK_TOKEN is not set: anyone who reaches port %s can post alerts to "
            "/alertmanager, /grafana and /opsgenie",
            port,
        )
    http = AndonHTTPServer(
        (host, port or 0),
        desk,
        app if mode == "http" else None,
        webhook_token=token,
        signing_secret=settings.secret("slack_signing_secret"),
        pagerduty_secret=settings.secret("pagerduty_secret"),
    )
    http.start()
    return http
