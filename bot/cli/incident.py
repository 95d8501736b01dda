"""``andon incident``: list incidents, resolve one into the knowledge base as a past incident (so the next
similar investigation recalls it), and record whether an investigation was helpful or wrong."""

from __future__ import annotations

import getpass
import time
from typing import TYPE_CHECKING, Any

import typer
from rich.console import RenderableType
from rich.text import Text

from bot.cli.common import console, fail, print_json, settings_or_exit
from bot.cli.tables import Col, fitted_table

if TYPE_CHECKING:
    from knowledge.documents import Document

__all__ = ["app", "resolved_document", "list_incidents", "resolve", "feedback"]

app = typer.Typer(
    help="Incidents: list them, resolve them into the knowledge base, give feedback.", no_args_is_help=True
)


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in a container
        return "cli"


def _root(incident: dict[str, Any]) -> dict[str, Any]:
    return dict(((incident.get("report") or {}).get("root_cause")) or {})


def _check_category(category: str, option: str) -> None:
    from knowledge.taxonomy import categories

    known = list(categories())
    if category not in known:
        fail(f"{option} {category!r} is not a known category; use one of: {', '.join(known)}")


def resolved_document(incident: dict[str, Any], root_cause: str, fix: str, category: str, service: str) -> Document:
    """The knowledge-base document for a resolved incident: a past incident the next investigation can recall."""
    from knowledge.learning import past_incident

    report = incident.get("report") or {}
    best: dict[str, Any] = next(iter(report.get("hypotheses") or []), {})
    evidence = [str(e["summary"]) for e in best.get("evidence", []) if e.get("supports", True)][:4]
    alertname = (report.get("incident") or {}).get("alertname")
    return past_incident(
        incident["id"],
        incident["title"],
        category,
        root_cause,
        fix,
        summary=f"Root cause: {root_cause}. Fixed by: {fix}",
        services=[service],
        alerts=[alertname] if alertname else [],
        evidence=evidence,
        tags=["learned", "cli"],
        path=f"andon:incident/{incident['id']}",
    )


@app.command("list")
def list_incidents(
    status: str | None = typer.Option(None, "--status", help="open, resolved, investigating, mitigated…"),
    limit: int = typer.Option(50, "--limit", min=1, help="at most this many, newest first"),
    as_json: bool = typer.Option(False, "--json", help="print the incidents as a JSON array"),
) -> None:
    """Incidents in the store, newest first."""
    from bot.store import open_store

    settings = settings_or_exit()
    store = open_store(settings.database_url, settings.data_dir)
    try:
        rows = store.list(status, limit)
    finally:
        store.db.close()
    shown = [
        {
            "id": r["id"],
            "title": r["title"],
            "status": r["status"],
            "severity": r["severity"],
            "services": r["services"],
            "created_at": r["created_at"],
            "channel": r["channel"],
            "root_cause": r["root_cause"] or _root(r) or None,
            "fix": r["fix"],
            "origin": r["origin"],
        }
        for r in rows
    ]
    if as_json:
        print_json(shown)
        return
    if not shown:
        console.print("no incidents")
        return
    cells: list[list[RenderableType]] = []
    for row in shown:
        cause = row["root_cause"]
        if isinstance(cause, dict):
            cause = f"{str(cause.get('category', '')).replace('_', ' ')} on {cause.get('service')}"
        origin = Text(row["origin"] or "alert/Slack", style="yellow" if row["origin"] == "replay" else "")
        cells.append(
            [
                Text(row["id"]),
                time.strftime("%Y-%m-%d %H:%M", time.gmtime(float(row["created_at"]))),
                Text(row["status"]),
                origin,
                Text(str(row["severity"] or "")),
                Text(", ".join(row["services"])),
                Text(row["title"]),
                Text(str(cause or "")),
            ]
        )
    console.print(
        fitted_table(
            console,
            INCIDENT_COLUMNS,
            cells,
            title=f"{len(shown)} incident{'' if len(shown) == 1 else 's'}",
            caption="from: alert or Slack; cli (andon investigate, live telemetry); replay (andon "
            "investigate on a telemetry fixture, not a live incident)",
        )
    )


INCIDENT_COLUMNS = (
    Col("id"),
    Col("opened (UTC)", drop=3),
    Col("status"),
    Col("from", drop=1),
    Col("severity", drop=2),
    Col("services"),
    Col("title"),
    Col("root cause"),
)
"""What a narrow terminal loses first: where the incident came from, its severity, then when it opened; the id,
which ``incident resolve`` wants, is never cut."""


@app.command()
def resolve(
    incident_id: str = typer.Argument(..., help="the incident id (see `andon incident list`)"),
    root_cause: str = typer.Option(..., "--root-cause", help="what actually caused it, in a sentence"),
    fix: str = typer.Option(..., "--fix", help="what fixed it"),
    category: str | None = typer.Option(None, "--category", help="fault category (default: the investigation's)"),
    service: str | None = typer.Option(None, "--service", help="root-cause service (default: the investigation's)"),
    by: str | None = typer.Option(None, "--by", help="who resolved it (default: your login name)"),
    as_json: bool = typer.Option(False, "--json", help="print the learned document as JSON"),
) -> None:
    """Mark an incident resolved and add it to the knowledge base as a past incident."""
    from bot.runtime import open_knowledge
    from bot.store import open_store

    settings = settings_or_exit()
    store = open_store(settings.database_url, settings.data_dir)
    try:
        incident = store.get(incident_id)
        if incident is None:
            fail(f"no incident {incident_id!r} in the store (see `andon incident list`)")
        root = _root(incident)
        chosen_category = category or root.get("category")
        if not chosen_category:
            fail("the investigation named no category: pass --category")
        _check_category(str(chosen_category), "--category")
        chosen_service = service or root.get("service") or next(iter(incident["services"]), None)
        if not chosen_service:
            fail("the incident names no service: pass --service")
        document = resolved_document(incident, root_cause, fix, str(chosen_category), str(chosen_service))
        open_knowledge(settings).add_document(document)  # first: a failure leaves the incident open, to retry
        who = _who(by)
        store.set_status(incident_id, "resolved", root_cause=root_cause, fix=fix)
        store.note(incident_id, "resolved", f"{root_cause} — fixed by: {fix}", who)
        store.audit(
            incident_id,
            "resolved",
            None,
            {"category": chosen_category, "service": chosen_service, "document": document.id},
            root_cause,
            who,
        )
    finally:
        store.db.close()
    if as_json:
        print_json(document.model_dump(mode="json"))
        return
    console.print(
        f"resolved {incident_id}: {str(chosen_category).replace('_', ' ')} on {chosen_service}; "
        f"learned as past incident [bold]{document.id}[/]"
    )


@app.command()
def feedback(
    incident_id: str = typer.Argument(..., help="the incident id"),
    helpful: bool | None = typer.Option(None, "--helpful/--wrong", help="was the investigation's answer right?"),
    correct_category: str | None = typer.Option(None, "--correct-category", help="with --wrong: the real category"),
    correct_service: str | None = typer.Option(None, "--correct-service", help="with --wrong: the real service"),
    note: str | None = typer.Option(None, "--note", help="anything else worth recording"),
    by: str | None = typer.Option(None, "--by", help="who gives the feedback (default: your login name)"),
) -> None:
    """Record whether an investigation was helpful or wrong (and, if wrong, what the answer was)."""
    from bot.store import open_store

    if helpful is None:
        fail("say --helpful or --wrong")
    if helpful and (correct_category or correct_service):
        fail("--correct-category/--correct-service go with --wrong")
    if correct_category:
        _check_category(correct_category, "--correct-category")
    settings = settings_or_exit()
    store = open_store(settings.database_url, settings.data_dir)
    try:
        if store.get(incident_id) is None:
            fail(f"no incident {incident_id!r} in the store (see `andon incident list`)")
        verdict = "helpful" if helpful else "wrong"
        store.record_feedback(incident_id, verdict, correct_service, correct_category, note, _who(by))
    finally:
        store.db.close()
    correction = ", ".join(x for x in (correct_category, correct_service) if x)
    console.print(f"recorded: {incident_id} was {verdict}" + (f" (correct answer: {correction})" if correction else ""))
