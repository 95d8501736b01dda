"""``andon investigate``: one investigation from an alert file or a text, printed or as JSON."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.text import Text

from bot.cli.common import console, err_console, fail, print_json, settings_or_exit, startup
from bot.cli.render import render_report


def _telemetry_for(alert: Path | None) -> Path | None:
    if alert is None:
        return None
    sibling = alert.with_name(alert.name.removesuffix(".json") + ".telemetry.yaml")
    return sibling if sibling.exists() else None


def investigate(
    alert: Path | None = typer.Option(None, "--alert", help="Alertmanager/PagerDuty JSON payload file"),
    text: str | None = typer.Option(None, "--text", help="a free-text description of the problem"),
    reasoner: str | None = typer.Option(None, "--reasoner", help="rules (default, no LLM) or llm"),
    telemetry: Path | None = typer.Option(
        None,
        "--telemetry",
        help="replay telemetry from this fixture instead of "
        "live backends (default: <alert>.telemetry.yaml next to the alert, when no "
        "ANDON_PROMETHEUS_URL is set)",
    ),
    as_json: bool = typer.Option(False, "--json", help="print the report as one JSON object"),
    charts: Path | None = typer.Option(
        None,
        "--charts",
        metavar="DIR",
        help="also write the evidence charts "
        "(PNG: the root cause's and the alerting service's strongest series) into DIR",
    ),
) -> None:
    """Investigate an incident: evidence, ranked hypotheses and proposed fixes (nothing is executed).
    The incident is kept in the incident store (`andon incident list`, `andon incident resolve ID`), marked
    'replay' when the telemetry was a fixture. Exits 3 when the verdict is inconclusive (the telemetry
    could not be read)."""
    if (alert is None) == (text is None):
        fail("give exactly one of --alert FILE or --text TEXT")
    settings = settings_or_exit(reasoner=reasoner)
    trigger: Any
    if alert is not None:
        try:
            trigger = json.loads(alert.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            fail(f"cannot read alert {alert}: {exc}")
    else:
        trigger = text
    fixture = telemetry or (None if settings.prometheus_url else _telemetry_for(alert))
    if fixture is None and not settings.prometheus_url:
        fail("no telemetry: set ANDON_PROMETHEUS_URL (and friends) or pass --telemetry FIXTURE.yaml")
    if settings.reasoner == "llm" and not settings.openai_base_url and not settings.openai_api_key:
        fail("the llm reasoner needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)")
    if settings.embeddings == "local":
        from knowledge.minilm import preload

        preload()  # the search needs the model: it loads while the graph and Chroma are imported and opened
    with startup():
        from bot.intake import IntakeError
        from bot.runtime import Investigator, fixture_sources, live_sources, open_knowledge
        from bot.store import open_store

        clock = time.time
        if fixture is not None:
            try:
                sources, judged_at = fixture_sources(fixture)
            except ValueError as exc:
                fail(str(exc))
            clock = lambda: judged_at  # noqa: E731
        else:
            from bot.settings import SettingsError

            try:
                sources = live_sources(settings)
            except SettingsError as exc:  # a backend's TLS or auth settings that only building its client finds wrong
                fail(str(exc))
        kb = open_knowledge(settings)
        try:
            store = open_store(settings.database_url, settings.data_dir)
        except Exception as exc:  # an unreachable PostgreSQL, an unwritable data dir
            fail(f"cannot open the incident store: {exc}")
        investigator = Investigator(settings, sources, kb=kb, store=store, approval_mode="propose_only", clock=clock)
    origin = "replay" if fixture is not None else "cli"
    try:
        try:
            outcome = investigator.start(trigger, origin=origin)
        except IntakeError as exc:
            fail(str(exc))
        if fixture is not None:
            store.note(outcome.incident_id, "replay", f"investigated on replayed telemetry from {fixture}")
    finally:
        store.db.close()
    report = outcome.report
    if report is None:
        fail("the investigation produced no report")
    written = _write_charts(charts, outcome.incident_id, report, sources.metrics, clock()) if charts else []
    if as_json:
        print_json({"incident_id": outcome.incident_id, "origin": origin, **report})
    else:
        from bot.charts.evidence import evidence_sparklines

        sparklines = evidence_sparklines(report, sources.metrics, clock()) if settings.charts else None
        render_report(console, report, sparklines)
        _stored(outcome.incident_id, fixture)
    for path in written:
        (err_console if as_json else console).print(Text(f"Chart: {path}", style="dim"))
    if charts and not written:
        (err_console if as_json else console).print(Text("No evidence chart: no series to draw", style="yellow"))
    if report.get("verdict") == "inconclusive":
        raise typer.Exit(3)


def _write_charts(folder: Path, incident_id: str, report: dict[str, Any], metrics: Any, now: float) -> list[Path]:
    """The report's evidence charts as PNG files in ``folder`` (made if missing), named after the incident."""
    from bot.charts.evidence import evidence_charts
    from bot.charts.render import render_png

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"cannot write charts into {folder}: {exc}")
    written = []
    for index, chart in enumerate(evidence_charts(report, metrics, now), start=1):
        path = folder / f"{incident_id}-{chart.filename(index)}"
        path.write_bytes(render_png(chart))
        written.append(path)
    return written


def _stored(incident_id: str, fixture: Path | None) -> None:
    """Where the incident was kept, and the next step."""
    line = Text("Stored as incident ")
    line.append(incident_id, style="bold")
    if fixture is not None:
        line.append(f" (replayed telemetry from {fixture}: not a live incident)", style="yellow")
    console.print(line)
    console.print(
        Text(f'When it is fixed: andon incident resolve {incident_id} --root-cause "…" --fix "…"', style="dim")
    )
