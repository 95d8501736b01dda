"""``andon lab``: run the incident lab — a small shop of real services with real Prometheus and
Alertmanager — and break it on purpose."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from bot.cli.common import console, err_console, fail, print_json, settings_or_exit
from bot.cli.tables import Col, fitted_table

app = typer.Typer(
    help="The incident lab: five services, a worker, load, Prometheus and Alertmanager on loopback; "
    "inject faults and watch Andon find them.",
    no_args_is_help=True,
)


def _lab() -> Any:
    from evals.lab.lab import Lab

    return Lab(settings_or_exit().data_dir)


def _errors() -> tuple[type[Exception], ...]:
    from evals.lab.client import LabError
    from evals.lab.monitoring import MissingBinary

    return LabError, MissingBinary


@app.command()
def up(
    base_port: int | None = typer.Option(
        None, "--base-port", help="first of the lab's loopback ports (default: the first free range from 19100)"
    ),
    webhook_url: str | None = typer.Option(
        None,
        "--webhook-url",
        help="where Alertmanager sends alerts (default: the lab's receiver port, which `andon demo` listens on)",
    ),
    rps: float = typer.Option(20.0, "--rps", help="load generator requests per second"),
    as_json: bool = typer.Option(False, "--json", help="print the status as JSON"),
) -> None:
    """Start the lab (returns once every service answers and Prometheus records the signals)."""
    lab = _lab()
    console.print(f"starting the lab in {lab.root} …")
    try:
        status = lab.up(base_port=base_port, webhook_url=webhook_url, rps=rps)
    except _errors() as exc:
        fail(str(exc))
    if as_json:
        print_json(status)
    else:
        _render(status)


@app.command()
def down() -> None:
    """Stop every lab process."""
    stopped = _lab().down()["stopped"]
    console.print(f"lab stopped ({len(stopped)} process(es) ended)" if stopped else "the lab was not running")


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="print as JSON")) -> None:
    """Services, versions, replicas, flags, faults and the URLs to point Andon at."""
    state = _lab().status()
    if as_json:
        print_json(state)
    else:
        _render(state)


@app.command()
def inject(
    fault: str = typer.Argument(..., help="the fault to inject (see `andon lab faults`)"),
    service: str | None = typer.Option(None, "--service", "-s", help="target service (default: the fault's usual one)"),
) -> None:
    """Break the lab on purpose."""
    try:
        done = _lab().inject(fault, service)
    except _errors() + (ValueError,) as exc:
        fail(str(exc))
    console.print(f"injected [bold]{done['fault']}[/] into [bold]{done['service']}[/]")


@app.command()
def heal() -> None:
    """Back to the baseline: baseline versions and flags, no faults, one replica each, empty queue."""
    try:
        done = _lab().heal()
    except _errors() as exc:
        fail(str(exc))
    restarted = ", ".join(done["restarted"]) or "nothing"
    console.print(f"healed: restarted {restarted}; drained {done['drained']} queued message(s)")


@app.command()
def soak(
    minutes: float = typer.Option(30.0, "--minutes", min=1.0, help="how long to soak"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON on stdout"),
    watch_interval: float = typer.Option(
        2.0,
        "--watch-interval",
        min=0.5,
        help="seconds between the watch's scans (default: the lab's 2 s scrape interval, as `andon demo --watch`)",
    ),
    keep: bool = typer.Option(False, "--keep", help="leave the lab running afterwards"),
    base_port: int | None = typer.Option(None, "--base-port", help="first of the lab's loopback ports"),
) -> None:
    """Run the lab healthy for N minutes — load swings, harmless releases, rolling restarts — with the
    proactive watch scanning it, and report the warnings it raised: all false, since nothing broke
    (docs/watch.md). Alertmanager's pages are listed too: a soak should page nobody."""
    import time

    from bot.runtime import rca_params
    from evals.cli.demo_watch import DemoWatch
    from evals.lab.soak import SoakPlan, run_soak
    from evals.lab.sources import lab_settings, lab_sources
    from evals.lab.webhook import AlertReceiver

    settings = settings_or_exit()
    out = err_console if as_json else console
    lab = _lab()
    try:
        if lab.running():
            out.print(f"[dim]reusing the running lab in {lab.root}; healing it first[/]")
            lab.heal()
        else:
            out.print(f"bringing the lab up in {lab.root} …")
            lab.up(base_port=base_port)
    except _errors() as exc:
        fail(str(exc))
    try:
        wait = float(lab.record().get("epoch") or 0.0) - time.time()
        if wait > 0:
            out.print(f"[dim]waiting {wait:.0f} s for the lab to settle[/]")
            time.sleep(wait)
        scoped = lab_settings(settings, lab.layout)
        sources = lab_sources(scoped, lab.layout)
        watch = DemoWatch(
            sources.metrics,
            rca_params(settings),
            watch_interval,
            sources.call_graph,
            on_sighting=lambda s: out.print(Text(f"  ⚠ {s.text}", style="yellow")),
        )
        out.print(f"soaking the lab for {minutes:g} min with the watch scanning every {watch_interval:g} s …")
        with AlertReceiver(lab.layout.webhook_port) as receiver:
            report = run_soak(
                lab, watch, receiver, SoakPlan(minutes=minutes), on_event=lambda t: out.print(f"[dim]{t}[/]")
            )
    except _errors() as exc:
        fail(str(exc))
    finally:
        if keep:
            lab.heal()
        else:
            lab.down()
    out.print(
        f"{report['false_warnings']} false warning(s), {report['false_forecasts']} false forecast(s), "
        f"{len(report['pages'])} page(s) in {minutes:g} min of healthy load"
    )
    if as_json:
        print_json(report)


@app.command("faults")
def list_faults() -> None:
    """The faults the lab can inject, the runbook each matches and the fix Andon should propose."""
    from evals.lab.faults import FAULTS

    rows: list[list[RenderableType]] = [
        [Text(f.name), Text(f.service), Text(f.title), Text(f.category.replace("_", " ")), Text(f.action or "—")]
        for f in FAULTS.values()
    ]
    console.print(fitted_table(console, FAULT_COLUMNS, rows, title="Lab faults"))


FAULT_COLUMNS = (Col("fault"), Col("default target", drop=1), Col("what breaks"), Col("expected cause"), Col("fix"))


SERVICE_COLUMNS = (
    Col("service"),
    Col("port", drop=1),
    Col("version"),
    Col("replicas", drop=2),
    Col("running"),
    Col("restarts", drop=3),
    Col("faults"),
    Col("flags on"),
)
"""What a narrow terminal loses first: the port (the URLs above say where the lab is), then the replicas
wanted (``running`` says how many are up), then the restarts."""


def _render(status: dict[str, Any]) -> None:
    state = "[green]up[/]" if status["running"] else "[red]down[/]"
    console.print(f"lab {state} · {status['dir']}")
    console.print(
        f"  prometheus   {status['prometheus']}\n  alertmanager {status['alertmanager']}\n"
        f"  change feed  {status['change_feed']}\n  webhook      {status['webhook']}\n"
        f"  logs         {status['logs']}"
    )
    console.print(services_table(console, status["services"]))
    for item in status.get("injected", []):
        console.print(f"  injected: {item['fault']} → {item['service']}")


def services_table(console: Console, services: dict[str, dict[str, Any]]) -> Table:
    """One row a lab service, fitted to ``console``'s width: names, versions and flags are never cut."""
    rows: list[list[RenderableType]] = []
    for name, s in services.items():
        flags_on = ", ".join(k for k, v in s["flags"].items() if v)
        faults = ", ".join(f"{k}={v}" for k, v in s["faults"].items())
        rows.append(
            [
                Text(name),
                str(s["port"]),
                Text(s["version"]),
                str(s["replicas"]),
                str(s["running"]),
                str(s["restarts"]),
                Text(faults or "—"),
                Text(flags_on or "—"),
            ]
        )
    return fitted_table(console, SERVICE_COLUMNS, rows)
