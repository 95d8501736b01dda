"""``andon watch``: scan every service between incidents for early warnings and exhaustion forecasts."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli.common import console, err_console, fail, print_json, settings_or_exit

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.store import IncidentStore
    from bot.watch import Scanner, ScanReport


def watch(
    once: bool = typer.Option(False, "--once", help="run one scan, print what it found, and exit (1 when blind)"),
    as_json: bool = typer.Option(False, "--json", help="print each scan as one JSON object"),
    dismiss: str | None = typer.Option(
        None,
        "--dismiss",
        metavar="SERVICE:SIGNAL",
        help="'not a problem': stop warning about this service's SIGNAL (e.g. payments:latency_p99_seconds), then exit",
    ),
    by: str | None = typer.Option(None, "--by", help="who dismissed it (kept with the dismissal)"),
    telemetry: Path | None = typer.Option(
        None,
        "--telemetry",
        help="scan a telemetry fixture at its alert time "
        "instead of Prometheus (with --once; state in a throwaway store)",
    ),
) -> None:
    """Watch every service's metrics with the RCA engine and warn before the page: sustained bad changes
    (early warnings, once per service and signal family per ANDON_WATCH_COOLDOWN_S) and resources projected
    full within ANDON_WATCH_FORECAST_H hours. Without --once it scans every ANDON_WATCH_INTERVAL_S seconds
    and prints what is new until Ctrl-C. State (cooldowns, dismissals) is kept in the incident store. A service
    with more warnings called "not a problem" in ANDON_WATCH_BUDGET_DAYS (7) than its false-warning budget
    (ANDON_WATCH_FALSE_WARNINGS, 1) is warned about at a raised threshold (--json: "budgets", "over_budget")."""
    settings = settings_or_exit()
    if dismiss is not None:
        if telemetry is not None or once:
            fail("--dismiss is a command of its own: without --once or --telemetry")
        store = _store(settings, settings.data_dir)
        try:
            _dismiss(settings, store, dismiss, by)
        finally:
            store.db.close()
        return
    if telemetry is not None and not once:
        fail("--telemetry replays one moment: use it with --once")
    if telemetry is None and not settings.prometheus_url:
        fail("no telemetry: set ANDON_PROMETHEUS_URL (and friends) or pass --telemetry FIXTURE.yaml --once")
    with ExitStack() as stack:
        data_dir = (
            Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="andon-watch-")))
            if telemetry
            else settings.data_dir
        )
        store = _store(settings, data_dir)
        stack.callback(store.db.close)
        scanner, now = _scanner(settings, store, telemetry)
        if once:
            report = scanner.scan(now)
            _print(report, as_json, everything=True)
            if report.blind:
                raise typer.Exit(1)
            return
        _loop(scanner, settings.watch_interval_s, as_json)


def _store(settings: Settings, data_dir: Path) -> IncidentStore:
    from bot.store import open_store

    try:
        return open_store(settings.database_url, data_dir)
    except Exception as exc:  # noqa: BLE001 — an unreachable PostgreSQL, an unwritable data dir
        fail(f"cannot open the incident store: {exc}")


def _dismiss(settings: Settings, store: IncidentStore, target: str, by: str | None) -> None:
    from bot.runtime import open_knowledge
    from bot.watch import WatchState
    from bot.watch.learning import learn_dismissal

    service, _, signal = target.partition(":")
    if not service or not signal:
        fail(f"--dismiss takes SERVICE:SIGNAL, not {target!r}")
    state, now = WatchState(store.db), time.time()
    detail = next((d for d in state.open_details() if d.get("service") == service and d.get("signal") == signal), {})
    state.dismiss(service, signal, by, now)
    console.print(f"Dismissed: {service} {signal} is not warned about again (unless it grows much larger).")
    try:
        kb = open_knowledge(settings, ingest=False)
    except Exception as exc:  # noqa: BLE001 — the dismissal is kept; only the knowledge base missed it
        err_console.print(f"[yellow]not learned: the knowledge base did not open ({exc})[/]")
        return
    learned = learn_dismissal(kb, service, signal, detail, by, now)
    if learned:
        console.print(f"Learned as past incident {learned} (no fault): investigations of {service} recall it.")
    else:
        err_console.print("[yellow]not learned: the knowledge base refused the document (see the log)[/]")


def _scanner(settings: Settings, store: IncidentStore, telemetry: Path | None) -> tuple[Scanner, float]:
    from bot.runtime import fixture_sources, live_sources, rca_params
    from bot.settings import SettingsError
    from bot.watch import Scanner, WatchState, watch_params

    now = time.time()
    try:
        if telemetry is not None:
            sources, now = fixture_sources(telemetry)
        else:
            sources = live_sources(settings)
        params = rca_params(settings)
    except (ValueError, SettingsError) as exc:
        fail(str(exc))
    if sources.metrics is None:
        fail("no metrics source is configured")
    try:
        topology = sources.call_graph()
    except Exception as exc:  # noqa: BLE001 — a call graph telemetry cannot give is left out, not fatal
        err_console.print(f"[yellow]no call graph: {exc}[/]")
        topology = {}
    return Scanner(sources.metrics, WatchState(store.db), params, watch_params(settings), topology), now


def _loop(scanner: Scanner, interval_s: float, as_json: bool) -> None:
    from bot.watch import watch_forever

    console.print(f"Watching every {interval_s:g} s; Ctrl-C stops.", style="dim")
    try:
        watch_forever(scanner, interval_s, lambda report: _print(report, as_json, everything=False))
    except KeyboardInterrupt:
        console.print("Watch stopped.", style="dim")


def _print(report: ScanReport, as_json: bool, everything: bool) -> None:
    if as_json:
        print_json(report.to_dict())
        return
    stamp = dt.datetime.fromtimestamp(report.at, dt.UTC).strftime("%H:%M:%S")
    if everything:
        said = (
            ([report.blind] if report.blind else [])
            + [w.describe() for w in report.warnings]
            + [f.describe() for f in report.forecasts]
        )
        said = said or [f"nothing to warn about ({report.services} services, {report.series} series)"]
        said += [f"false-warning budget spent — {b.describe()}" for b in report.budgets if b.over]
    else:
        said = report.notices()
    for text in said:
        console.print(f"{stamp} {text}", markup=False, highlight=False)
