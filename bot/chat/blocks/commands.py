"""Replies to ``/andon`` subcommands: help, the open incidents, one incident's status, runbook search
results and the timeline."""

from __future__ import annotations

from typing import Any

from bot.chat.blocks.incident import link, percent
from bot.chat.blocks.kit import Block, clip, context, fit, header, mention, section, untrusted, when
from bot.chat.ids import BlockId
from knowledge.snippets import snippet

__all__ = ["help_blocks", "incidents_list", "status_card", "runbook_results", "timeline_blocks"]

RUNBOOK_SNIPPET_CHARS = 300
"""The longest runbook snippet ``/andon runbook`` shows under each result (cut between words)."""


def help_blocks(commands: list[tuple[str, str]], unknown: str | None = None) -> list[Block]:
    """Every subcommand with its usage; ``unknown`` names a subcommand we did not understand."""
    blocks: list[Block] = []
    if unknown is not None:
        blocks.append(
            section(f":thinking_face: I don't know `{clip(untrusted(unknown), 60, '…')}`. Here is what I can do:")
        )
    blocks.append(header("Andon — commands"))
    lines = [f"`/andon {usage}` — {description}" for usage, description in commands]
    blocks.append(section("\n".join(lines), block_id=BlockId.HELP))
    blocks.append(
        context(
            "Mention @Andon with a problem (\u201ccheckout 5xx since 10:02\u201d) to start an "
            "investigation; reply in the incident thread to ask questions."
        )
    )
    return blocks


def _root(incident: dict[str, Any]) -> str:
    report = incident.get("report") or {}
    root = report.get("root_cause") or {}
    if incident.get("root_cause"):
        return untrusted(incident["root_cause"])
    if root.get("service"):
        return (
            f"{untrusted(root.get('category')).replace('_', ' ')} on {untrusted(root['service'])} "
            f"({percent(root.get('confidence'))})"
        )
    return "not established yet"


def incidents_list(incidents: list[dict[str, Any]], links: dict[str, str]) -> list[Block]:
    if not incidents:
        return [section(":sunny: No open incidents.")]
    blocks: list[Block] = [header(f"Open incidents ({len(incidents)})")]
    for incident in incidents[:40]:
        where = f" · <{links[incident['id']]}|thread>" if incident["id"] in links else ""
        blocks.append(
            section(
                f"*{untrusted(incident['title'])}*\n`{incident['id']}` · {incident['status']} · "
                f"{incident.get('severity') or 'warning'} · root cause: {_root(incident)}{where}"
            )
        )
    return fit(blocks)


_AFTER_THE_FIX = {True: "the symptoms cleared", False: "not recovered yet", None: "recovery not verified"}


def status_card(incident: dict[str, Any], link_url: str | None, pending: int = 0) -> list[Block]:
    report = incident.get("report") or {}
    actions = [a for a in report.get("actions") or [] if a.get("tool")]
    status = str(incident["status"])
    if status == "investigating" and any(a.get("status") == "executed" for a in actions):
        status = "fix executed"  # the store says "mitigated" only once the symptoms are seen to clear
    lines = [
        f"*Status:* {status} · *severity:* {incident.get('severity') or 'warning'}",
        f"*Services:* {untrusted(', '.join(incident.get('services') or []) or 'unknown')}",
        f"*Root cause:* {_root(incident)}",
    ]
    if actions:
        after = _AFTER_THE_FIX.get((report.get("verification") or {}).get("recovered"), "recovery not verified")
        lines.append(
            "*Actions:* "
            + ", ".join(f"`{untrusted(a['tool'])}` {untrusted(a.get('status'))}" for a in actions)
            + f" · {after}"
        )
    if incident.get("fix"):
        lines.append(f"*Fix:* {untrusted(incident['fix'])}")
    if pending:
        lines.append(f"*Waiting for approval:* {pending} proposal(s)")
    facts = [f"incident `{incident['id']}` · opened {when(float(incident['created_at']))}"]
    if link_url:
        facts.append(f"<{link_url}|open the thread>")
    return [header(incident["title"]), section("\n".join(lines)), context(*facts)]


def runbook_results(query: str, hits: list[dict[str, Any]]) -> list[Block]:
    if not hits:
        return [section(f"No runbook matches “{clip(untrusted(query), 200, '…')}”.")]
    blocks: list[Block] = [section(f"*Runbooks for* “{clip(untrusted(query), 200, '…')}”")]
    for hit in hits[:8]:
        blocks.append(
            section(
                f"*{link(hit)}* — {str(hit.get('category', '')).replace('_', ' ')}\n"
                f"{untrusted(snippet(str(hit.get('snippet', '')), RUNBOOK_SNIPPET_CHARS))}"
            )
        )
    return fit(blocks)


def timeline_blocks(incident: dict[str, Any], entries: list[dict[str, Any]]) -> list[Block]:
    lines = [
        f"{when(float(e['at']))} · *{e['kind']}* {untrusted(e['text'])}"
        + (f" — {mention(e['by'])}" if e.get("by") else "")
        for e in entries
    ]
    blocks: list[Block] = [header(f"Timeline — {incident['title']}")]
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > 2800:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(clip(line, 600, "…"))
    if chunk:
        blocks.append(section("\n".join(chunk)))
    if not lines:
        blocks.append(section("_Nothing recorded yet._"))
    return fit(blocks)
