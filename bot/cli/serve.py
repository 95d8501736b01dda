"""``andon serve``: run Andon in Slack — Socket Mode (default; no public URL) or HTTP mode."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli.common import console, fail, settings_or_exit


def serve(
    mode: str = typer.Option("socket", "--mode", help="socket (SLACK_APP_TOKEN, no public URL) or http "
                             "(Events API at POST /slack/events, SLACK_SIGNING_SECRET)"),
    host: str = typer.Option("127.0.0.1", "--host", help="address the HTTP server binds to"),
    port: int = typer.Option(3000, "--port", help="HTTP port: /slack/events (http mode), /healthz, /metrics and "
                             "/alertmanager (both modes)"),
    telemetry: Path | None = typer.Option(None, "--telemetry", help="replay telemetry from this fixture instead of "
                                          "live backends (demos)"),
    reasoner: str | None = typer.Option(None, "--reasoner", help="rules (default, no LLM) or llm"),
) -> None:
    """Serve Slack: incident threads, RCA and approval cards, /andon commands, the Alertmanager webhook."""
    import logging

    from bot.settings import SettingsError
    from bot.slack.runner import start

    if mode not in ("socket", "http"):
        fail("--mode must be socket or http")
    settings = settings_or_exit(reasoner=reasoner)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        running = start(settings, mode="http" if mode == "http" else "socket", host=host, port=port,
                        telemetry=telemetry)
    except SettingsError as exc:
        fail(str(exc))
    where = f"{running.url}/slack/events" if mode == "http" else "Socket Mode"
    console.print(f"[bold]Andon[/] is listening ({where}); health and metrics at {running.url}/healthz, /metrics; "
                  f"Alertmanager webhook at {running.url}/alertmanager. Ctrl-C stops.")
    try:
        running.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
