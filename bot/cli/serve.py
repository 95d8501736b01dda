"""``andon serve``: run Andon in Slack — Socket Mode (default; no public URL) or HTTP mode."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Any

import typer

from bot.cli.common import console, fail, settings_or_exit


def serve(
    mode: str = typer.Option(
        "socket",
        "--mode",
        help="socket (SLACK_APP_TOKEN, no public URL) or http (Events API at POST /slack/events, SLACK_SIGNING_SECRET)",
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="address the HTTP server binds to"),
    port: int = typer.Option(
        3000, "--port", help="HTTP port: /slack/events (http mode), /healthz, /metrics and /alertmanager (both modes)"
    ),
    telemetry: Path | None = typer.Option(
        None, "--telemetry", help="replay telemetry from this fixture instead of live backends (demos)"
    ),
    reasoner: str | None = typer.Option(None, "--reasoner", help="rules (default, no LLM) or llm"),
    worker: str | None = typer.Option(
        None,
        "--worker",
        show_default=False,
        help="where investigations, chat messages and slash-command work run: process "
        "(default: a worker process of their own, so Slack is acknowledged promptly "
        "while they run) or thread (the serving process's own threads); overrides "
        "ANDON_WORKER",
    ),
) -> None:
    """Serve Slack: incident threads, RCA and approval cards, /andon commands, the Alertmanager webhook; with
    ANDON_WATCH=1, early-warning threads too (docs/watch.md)."""
    from bot.chat.watch.watcher import start_watcher
    from bot.logs import configure_logging
    from bot.settings import SettingsError
    from bot.slack.runner import start

    if mode not in ("socket", "http"):
        fail("--mode must be socket or http")
    if worker is not None and worker.strip().lower() not in ("process", "thread"):
        fail(f"--worker must be process or thread (got {worker!r})")
    settings = settings_or_exit(reasoner=reasoner, worker=worker)  # ANDON_WORKER is checked with the settings
    configure_logging(settings.log_level, settings.log_format)
    try:
        running = start(
            settings,
            mode="http" if mode == "http" else "socket",
            host=host,
            port=port,
            telemetry=telemetry,
            worker=settings.worker,
        )
    except SettingsError as exc:
        fail(str(exc))
    start_watcher(settings, running.desk.deps)  # ANDON_WATCH=1: early-warning threads, one replica at a time
    where = f"{running.url}/slack/events" if mode == "http" else "Socket Mode"
    console.print(
        f"[bold]Andon[/] is listening ({where}); health and metrics at {running.url}/healthz, /metrics; "
        f"Alertmanager webhook at {running.url}/alertmanager. Ctrl-C stops."
    )
    signal.signal(signal.SIGTERM, _interrupt)  # a container stop is a Ctrl-C
    try:
        running.wait()
    except KeyboardInterrupt:
        pass
    finally:
        deadline = time.monotonic() + SHUTDOWN_S
        running.stop()  # the HTTP server answers what it has accepted, for at most EdgeLimits.shutdown_grace_s
        _exit_within(deadline - EXIT_MARGIN_S - time.monotonic())


SHUTDOWN_S = 5.0
"""How long the process takes at most to leave after a stop signal, HTTP server included; an investigation
still running then is cut off (its checkpoints remain, and its thread says what it had reached)."""
EXIT_MARGIN_S = 1.0
"""The last part of ``SHUTDOWN_S``, kept for leaving itself (flushing the log, the interpreter's exit):
busy worker threads get what is left before it."""


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _exit_within(seconds: float) -> None:
    """Let worker threads finish for up to ``seconds``, then leave even if some are still busy (the
    interpreter would otherwise wait for every running investigation)."""
    import logging
    import os
    import threading

    deadline = time.monotonic() + max(seconds, 0.0)
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join(max(deadline - time.monotonic(), 0.0))
    busy = [
        t.name for t in threading.enumerate() if t is not threading.current_thread() and not t.daemon and t.is_alive()
    ]
    if busy:
        logging.getLogger("andon.serve").warning("stopping with %d busy worker(s): %s", len(busy), ", ".join(busy))
    # leave now: the interpreter's own exit (atexit hooks of the libraries loaded, module teardown) is
    # unbounded on a busy machine; every write the store made is already committed
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
