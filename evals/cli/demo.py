"""``andon demo``: the whole loop on one machine — lab up, knowledge ingested, a fault injected, the
page, the investigation, the approval, the fix, the verified recovery — shown as the Slack thread."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.cli.common import console, demo_store_dir, err_console, fail, print_json, settings_or_exit

if TYPE_CHECKING:
    from evals.cli.demo_watch import DemoWatch

DEMO_APPROVER = "demo-approver"


def demo(
    fault: str = typer.Option(
        "bad_deploy", "--fault", "-f", help="the fault to inject (`andon lab faults`), or 'all' for every one in turn"
    ),
    service: str | None = typer.Option(None, "--service", "-s", help="target service (default: the fault's usual one)"),
    noise: bool = typer.Option(
        False, "--noise/--no-noise", help="first deploy a harmless decoy release on another service, to mislead"
    ),
    keep: bool = typer.Option(False, "--keep", help="leave the lab running afterwards (`andon lab down` stops it)"),
    as_json: bool = typer.Option(False, "--json", help="print a JSON summary on stdout (the thread goes to stderr)"),
    reasoner: str | None = typer.Option(None, "--reasoner", help="rules (default, no LLM) or llm"),
    base_port: int | None = typer.Option(None, "--base-port", help="first of the lab's loopback ports"),
    watch: bool = typer.Option(
        False,
        "--watch",
        help="run the proactive watch beside it and report "
        "early_warning_lead_s: seconds from its first early warning to the page (docs/watch.md)",
    ),
    watch_interval: float = typer.Option(
        2.0,
        "--watch-interval",
        min=0.5,
        help="seconds between the watch's scans with --watch (default: the lab's 2 s scrape interval)",
    ),
) -> None:
    """Run Andon end to end against the incident lab: fault → page → RCA → approved fix → verified recovery."""
    from bot.policy import load_policy
    from bot.runtime import open_knowledge
    from bot.store.incidents import open_store
    from evals.lab.client import LabError
    from evals.lab.experiment import Experiment
    from evals.lab.faults import FAULTS
    from evals.lab.lab import Lab
    from evals.lab.monitoring import MissingBinary
    from evals.lab.transcript import SlackTranscript
    from evals.lab.webhook import AlertReceiver

    names = list(FAULTS) if fault == "all" else [fault]
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        fail(f"unknown fault {unknown[0]!r}; choose from {', '.join(FAULTS)} or 'all'")
    settings = settings_or_exit(reasoner=reasoner)
    out = err_console if as_json else console
    lab = Lab(settings.data_dir)
    started = time.time()
    try:
        if lab.running():
            out.print(f"[dim]reusing the running lab in {lab.root}; healing it first[/]")
            lab.heal()
        else:
            out.print(
                f"[bold]1/3[/] bringing the lab up in {lab.root} (5 services, a worker, load, Prometheus, "
                "Alertmanager) …"
            )
            lab.up(base_port=base_port)
    except (LabError, MissingBinary) as exc:
        fail(str(exc))
    summaries: list[dict[str, Any]] = []
    try:
        out.print("[bold]2/3[/] ingesting the knowledge base (runbooks and past incidents) …")
        kb = open_knowledge(settings)
        store = open_store(None, demo_store_dir(settings.data_dir))
        policy = load_policy(approvers=[DEMO_APPROVER])
        webhook = lab.record().get("webhook_url")
        with AlertReceiver(lab.layout.webhook_port) as receiver:
            if webhook != receiver.url:
                out.print(f"[yellow]note: the lab's Alertmanager sends to {webhook}, not to {receiver.url}[/]")
            out.print(f"[bold]3/3[/] Andon is listening for Alertmanager at {receiver.url}\n")
            experiment = Experiment(
                lab,
                settings,
                receiver,
                kb=kb,
                store=store,
                policy=policy,
                approver=DEMO_APPROVER,
                on_event=SlackTranscript(out, f"{DEMO_APPROVER} (auto)"),
                verify_wait_s=60.0,
                await_resolved_s=0.0 if len(names) > 1 else 20.0,
            )
            watcher = _demo_watch(experiment, lab, out, watch_interval) if watch else None
            from evals.cli.demo_watch import watch_outcome

            result = None
            try:
                for name in names:
                    if result is not None:
                        lab.heal(clean_since=result.fixed_at)
                    if watcher is not None:
                        watcher.reset(not_before=float(lab.record().get("epoch") or 0.0))
                    result = experiment.run(name, service, noise=noise)
                    summary = result.summary()
                    if watcher is not None:
                        summary.update(
                            watch_outcome(
                                summary,
                                watcher.sightings(),
                                result.injected_at,
                                result.alert_at,
                                watcher.series(),
                                watcher.scan_seconds,
                            )
                        )
                    summaries.append(summary)
                    _timings(out, summary)
            finally:
                if watcher is not None:
                    watcher.stop()
    except LabError as exc:
        fail(str(exc))
    finally:
        if keep:
            out.print(
                f"[dim]the lab keeps running (`andon lab status`, `andon lab down`); "
                f"Prometheus at {lab.layout.prometheus_url}[/]"
            )
        else:
            lab.down()
            out.print("[dim]lab stopped[/]")
    if len(summaries) > 1:
        out.print(fault_summary(summaries))
    if watch and summaries:
        from evals.cli.demo_watch import lead_table

        out.print(lead_table(summaries))
    out.print(
        f"[dim]demo took {time.time() - started:.0f} s · `andon audit list` shows every proposal, approval "
        "and action it made[/]"
    )
    if as_json:
        print_json(summaries[0] if len(summaries) == 1 else summaries)
    failed = [s for s in summaries if s["recovered"] is not True]
    if failed:
        raise typer.Exit(1)


def _demo_watch(experiment: Any, lab: Any, out: Console, interval_s: float) -> DemoWatch:
    """The watch beside the experiments: the lab's metrics as investigations read them, the same engine
    parameters, a new warning printed as it comes."""
    from evals.cli.demo_watch import DemoWatch, Sighting
    from evals.lab.sources import lab_sources

    sources = lab_sources(experiment.settings, lab.layout)
    started = time.time()

    def said(sighting: Sighting) -> None:
        line = Text(f"  ⚠ watch +{sighting.at - started:.0f} s: ", style="yellow")
        out.print(line.append(sighting.text, style="yellow"))

    out.print(f"[dim]the watch scans the lab every {interval_s:g} s beside the demo[/]")
    return DemoWatch(
        sources.metrics, experiment.investigator.context.params, interval_s, sources.call_graph, on_sighting=said
    ).start()


def _timings(out: Console, summary: dict[str, Any]) -> None:
    table = Table(title=f"{summary['fault']} → {summary['target']}", show_header=False)
    table.add_column("what")
    table.add_column("value")
    root = summary["root_cause"]
    verdict = "[green]right[/]" if summary["diagnosed_right"] else "[red]wrong[/]"
    if summary["alert"] is not None:
        table.add_row(
            "root cause",
            f"{root.get('service')} / {root.get('category')} ({verdict}; expected "
            f"{summary['expected']['service']} / {summary['expected']['category']})",
        )
    action = summary.get("action") or {}
    table.add_row("action", f"{action.get('tool')} {action.get('args')} → {action.get('status')}" if action else "—")
    table.add_row("recovered", str(summary["recovered"]))
    table.add_row("time to detect", _seconds(summary["time_to_detect_s"]) + "  (fault → page)")
    table.add_row("time to RCA", _seconds(summary["time_to_rca_s"]) + "  (page → root cause posted)")
    table.add_row("MTTR", _seconds(summary["mttr_s"]) + "  (page → verified recovery)")
    table.add_row("fault → recovery", _seconds(summary["fault_to_recovery_s"]))
    if "early_warning_lead_s" in summary:
        first = summary.get("early_warning") or {}
        lead = summary["early_warning_lead_s"]
        table.add_row(
            "early warning",
            f"{lead:+.1f} s before the page"
            if lead is not None and lead >= 0
            else f"{-lead:.1f} s after the page"
            if lead is not None
            else "none before recovery"
            if first == {}
            else "no page to compare with",
        )
        if first:
            table.add_row("first warning", Text(str(first.get("text")), style="yellow"))
        for forecast in summary.get("watch_forecasts") or []:
            check = forecast.get("accuracy") or {}
            said = (
                f"came in {check['actual_s']:.0f} s: off by {check['error']:.0%}"
                if check.get("observed")
                else "not run out (fixed first)"
            )
            table.add_row("forecast", Text(f"{forecast['text']} — {said}", style="yellow"))
    out.print(table)


def _pair(value: dict[str, Any] | None) -> str:
    value = value or {}
    return f"{value.get('service') or '?'} / {str(value.get('category') or '?').replace('_', ' ')}"


def _mark(value: bool | None) -> Text:
    return Text("—", style="dim") if value is None else Text("yes", style="green") if value else Text("no", style="red")


def fault_summary(summaries: list[dict[str, Any]]) -> Table:
    """One row per fault of a ``--fault all`` run: what was injected, what Andon named, whether it was right
    and the system recovered, and the time from the page to verified recovery."""
    table = Table(
        title=f"{len(summaries)} faults",
        caption="expected and found: service / root cause; MTTR: "
        "page → verified recovery. A harmless change is right and recovered when nothing paged.",
        caption_justify="left",
    )
    for column in ("fault", "expected", "found", "right?", "recovered?", "MTTR"):
        table.add_column(column, overflow="fold")
    for summary in summaries:
        found = _pair(summary["root_cause"]) if summary["alert"] is not None else "no page"
        table.add_row(
            summary["fault"],
            _pair(summary["expected"]),
            found,
            _mark(summary["diagnosed_right"]),
            _mark(summary["recovered"]),
            _seconds(summary["mttr_s"]),
        )
    right = sum(1 for s in summaries if s["diagnosed_right"])
    recovered = sum(1 for s in summaries if s["recovered"] is True)
    table.add_section()
    table.add_row("total", "", "", f"{right}/{len(summaries)}", f"{recovered}/{len(summaries)}", "")
    return table


def _seconds(value: float | None) -> str:
    return f"{value:.1f} s" if value is not None else "—"
