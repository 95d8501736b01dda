"""Cards for an incident's thread: the alert, the acknowledgement/progress message, the RCA card,
the verification result and answers to follow-up questions. Pure functions of their inputs."""

from __future__ import annotations

from typing import Any

from bot.charts.sparkline import spark_key
from bot.chat.blocks.kit import (
    Block,
    clip,
    context,
    divider,
    fit,
    header,
    mention,
    section,
    untrusted,
)
from bot.chat.ids import BlockId
from bot.report_view import (
    distinct_evidence,
    log_examples,
    model_weight,
    own_evidence,
    readable,
    shared_evidence,
)

__all__ = [
    "alert_message",
    "ack_message",
    "progress_message",
    "rca_card",
    "verification_message",
    "answer_message",
    "notice",
    "percent",
    "link",
]

MAX_HYPOTHESES = 5
MAX_EVIDENCE_SECTIONS = 6
MAX_PROGRESS_LINES = 10


def percent(value: Any) -> str:
    return f"{float(value or 0) * 100:.0f}%"


def link(hit: dict[str, Any]) -> str:
    """A runbook or past incident: a link when it has a URL, its id otherwise."""
    title = untrusted(hit.get("title") or hit.get("doc_id") or "?").replace("|", "¦")
    path = str(hit.get("path") or "")
    if path.startswith(("http://", "https://")) and not any(c in path for c in "<>| \n"):
        return f"<{path}|{title}>"
    return f"{title} (`{untrusted(hit.get('doc_id', '?'))}`)"


def _category(value: Any) -> str:
    return untrusted(value or "unknown").replace("_", " ")


def _facts(incident: dict[str, Any]) -> str:
    services = untrusted(", ".join(incident.get("services") or []) or "unknown service")
    return f"incident `{incident['id']}` · severity {untrusted(incident.get('severity', 'warning'))} · {services}"


def alert_message(incident: dict[str, Any]) -> list[Block]:
    """The thread's first message when an alert (not a person) opens the incident."""
    name = untrusted(incident.get("alertname") or "Alert")
    return [
        section(f":rotating_light: *{name}* — {untrusted(incident['title'])}", block_id=BlockId.ALERT),
        context(_facts(incident), "Andon is investigating in the thread."),
    ]


def ack_message(incident: dict[str, Any]) -> list[Block]:
    """The acknowledgement, posted in the thread within a second; it then becomes the progress message."""
    return [
        section(f":eyes: *On it.* Investigating *{untrusted(incident['title'])}*", block_id=BlockId.PROGRESS),
        context(_facts(incident), "This message shows my progress; the root-cause card follows in this thread."),
    ]


def progress_message(
    incident: dict[str, Any],
    steps: list[str],
    *,
    done: bool = False,
    failed: str | None = None,
    elapsed_s: float | None = None,
) -> list[Block]:
    """The one progress message, updated in place as the investigation moves."""
    title = untrusted(incident["title"])
    if failed:
        head = f":x: *Investigation failed* for *{title}*: {untrusted(failed)}"
    elif done:
        took = f" in {elapsed_s:.1f}s" if elapsed_s is not None else ""
        head = f":white_check_mark: *Investigated{took}* — *{title}*. The root-cause card is below."
    else:
        head = f":hourglass_flowing_sand: *Investigating* *{title}*"
    shown = steps[-MAX_PROGRESS_LINES:]
    lines = [f"_{len(steps) - len(shown)} earlier step(s)_"] if len(steps) > len(shown) else []
    for index, step in enumerate(shown):
        last = index == len(shown) - 1 and not done and not failed
        lines.append(f"{':arrow_forward:' if last else ':heavy_check_mark:'} {untrusted(step)}")
    blocks = [section(head, block_id=BlockId.PROGRESS)]
    if lines:
        blocks.append(section("\n".join(lines), block_id=BlockId.PROGRESS_STEPS))
    blocks.append(context(_facts(incident)))
    return blocks


def _hypothesis(
    index: int,
    hypothesis: dict[str, Any],
    evidence: list[dict[str, Any]],
    examples: dict[str, str],
    sparklines: dict[str, str],
) -> Block:
    """One ranked hypothesis with the evidence it cites (the first: all of it; the others: what sets them
    apart); a line describing a series ends with its sparkline when ``sparklines`` has one."""
    lines = [
        f"*{index}. {_category(hypothesis['category'])} on {untrusted(hypothesis['service'])}* — "
        f"{percent(hypothesis['confidence'])}"
    ]
    for item in evidence[:5]:
        mark = ":heavy_check_mark:" if item.get("supports", True) else ":heavy_multiplication_x:"
        text = readable(str(item.get("summary", "")), examples, limit=300).lstrip("✓✗ ")
        spark = sparklines.get(spark_key(item))
        lines.append(
            f"{mark} `{item.get('call_id', '?')}` {clip(untrusted(text), 400, '…')}" + (f"  {spark}" if spark else "")
        )
    return section("\n".join(lines), block_id=BlockId.HYPOTHESIS.nth(index))


def _evidence(calls: list[dict[str, Any]]) -> list[Block]:
    examples = log_examples(calls)
    lines = [
        f"`{untrusted(c.get('id', '?'))}` *{untrusted(c.get('tool', '?'))}* ({untrusted(c.get('status', '?'))}): "
        f"{clip(untrusted(readable(str(c.get('summary', '')), examples, limit=300)), 500, '…')}"
        for c in calls
    ]
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    while lines and len(blocks) < MAX_EVIDENCE_SECTIONS:
        line = lines[0]
        if chunk and size + len(line) + 1 > 2800:
            blocks.append(section("\n".join(chunk), block_id=BlockId.EVIDENCE.nth(len(blocks) + 1)))
            chunk, size = [], 0
            continue
        chunk.append(lines.pop(0))
        size += len(line) + 1
    if chunk and len(blocks) < MAX_EVIDENCE_SECTIONS:
        blocks.append(section("\n".join(chunk), block_id=BlockId.EVIDENCE.nth(len(blocks) + 1)))
    elif chunk:
        lines = chunk + lines
    if lines:
        blocks.append(
            context(
                f"_{len(lines)} more tool result(s) not shown — ask in the thread, e.g. “show the error logs”._",
                block_id=BlockId.TRUNCATED,
            )
        )
    return blocks


def _args(args: dict[str, Any]) -> str:
    return untrusted(" ".join(f"{k}={v}" for k, v in args.items()))


def rca_card(report: dict[str, Any], sparklines: dict[str, str] | None = None) -> list[Block]:
    """The RCA card: summary, ranked hypotheses with confidence and evidence, runbooks and similar past
    incidents, proposed actions. Always within Slack's limits, however large the report. ``sparklines``
    (:func:`bot.charts.evidence.evidence_sparklines`) go at the end of the evidence lines they belong to."""
    incident = report["incident"]
    blocks: list[Block] = [
        header(f"Root cause analysis — {incident['title']}", BlockId.RCA_HEADER),
        section(untrusted(report.get("summary") or "No summary."), block_id=BlockId.RCA_ROOT),
    ]
    hypotheses = report.get("hypotheses") or []
    if hypotheses:
        blocks += [divider(), section("*Ranked hypotheses*")]
        shown = hypotheses[:MAX_HYPOTHESES]
        shared, examples = shared_evidence(shown), log_examples(report.get("evidence") or [])
        blocks += [
            _hypothesis(
                i,
                h,
                distinct_evidence(h.get("evidence", [])) if i == 1 else own_evidence(h, shared),
                examples,
                sparklines or {},
            )
            for i, h in enumerate(shown, start=1)
        ]
    knowledge = []
    if report.get("runbooks"):
        knowledge.append("*Runbooks:* " + " · ".join(link(h) for h in report["runbooks"][:3]))
    if report.get("related_incidents"):
        knowledge.append(
            "*Similar past incidents:* "
            + " · ".join(
                link(h) + (f" — {untrusted(h['matched'])}" if h.get("matched") else "")
                for h in report["related_incidents"][:3]
            )
        )
    if knowledge:
        blocks.append(section("\n".join(knowledge), block_id=BlockId.KNOWLEDGE))
    proposals = report.get("proposals") or []
    if proposals:
        lines = [
            f"• `{untrusted(p['tool'])}` {_args(p['args'])} — *{untrusted(p['risk'])}*"
            + (" (self-healing: runs automatically)" if p.get("auto") else "")
            for p in proposals
        ]
        tail = "" if report.get("actions") else "\n_Each needs approval: see the cards below._"
        blocks.append(section("*Proposed actions*\n" + "\n".join(lines) + tail, block_id=BlockId.PROPOSALS))
    calls = report.get("evidence") or []
    if calls:
        blocks += [divider(), section(f"*Evidence* ({len(calls)} tool call(s))"), *_evidence(calls)]
    notes = report.get("notes") or []
    if notes:
        blocks.append(section("\n".join(f"_Note: {untrusted(n)}_" for n in notes[:10]), block_id=BlockId.NOTES))
    tokens = (report.get("tokens") or {}).get("total", 0)
    weight = model_weight(report)
    blocks.append(
        context(
            f"reasoner {report.get('reasoner', 'rules')}{f' ({weight})' if weight else ''} · "
            f"{report.get('tool_calls', len(calls))} tool "
            f"calls · {float(report.get('duration_s') or 0):.1f}s · {tokens} LLM tokens · "
            f"incident `{incident['id']}`"
        )
    )
    return fit(blocks)


def verification_message(report: dict[str, Any]) -> list[Block]:
    """What ran after the decisions, and whether ``verify`` saw the symptoms clear."""
    lines = []
    for action in report.get("actions") or []:
        icon = {"executed": ":white_check_mark:", "failed": ":x:", "rejected": ":no_entry_sign:"}.get(
            str(action.get("status")), ":double_vertical_bar:"
        )
        result = f" — {untrusted(action['result'])}" if action.get("result") else ""
        lines.append(
            f"{icon} `{untrusted(action['tool'])}` {_args(action.get('args', {}))}: "
            f"*{untrusted(action.get('status'))}* ({untrusted(action.get('decision', ''))}){result}"
        )
    check = report.get("verification") or {}
    detail = untrusted(check.get("detail", "nothing was executed"))
    if check.get("recovered") is True:
        verdict = f":large_green_circle: *Verified:* the symptoms cleared. {detail}"
    elif check.get("recovered") is False:
        verdict = f":large_orange_circle: *Not recovered yet:* {detail}"
    else:
        verdict = f":white_circle: *Not verified:* {detail}"
    blocks = [section("\n".join(lines) or "No action ran.", block_id=BlockId.VERIFICATION), section(verdict)]
    return fit(blocks)


def answer_message(question: str, answer: str, user: str | None = None) -> list[Block]:
    return [
        section(untrusted(answer), block_id=BlockId.ANSWER),
        context(f"Answer to {mention(user)}: “{clip(untrusted(question), 200, '…')}” · from the incident's evidence"),
    ]


def notice(text: str, *more: str) -> list[Block]:
    """A plain message (confirmations, errors) in the same shape as every other card."""
    blocks = [section(text, block_id=BlockId.NOTICE)]
    if more:
        blocks.append(context(*more))
    return blocks
