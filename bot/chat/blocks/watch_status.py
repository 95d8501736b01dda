"""The answer to ``/andon watch status``: whether the watch runs, what it watches, its latest scan, the
warnings and forecasts open now (with a link to each thread), and each service's false-warning budget.
A pure builder over :class:`bot.watch.status.WatchStatus`; every name from the metrics is escaped."""

from __future__ import annotations

from bot.chat.blocks.kit import Block, context, fit, header, section, untrusted, when
from bot.chat.blocks.warning import WatchBlockId
from bot.watch.budget import window_words
from bot.watch.status import LIVE_DETAILED, LiveItem, WatchStatus

__all__ = ["watch_status_blocks", "MAX_LIVE_SHOWN", "MAX_SERVICES_SHOWN"]

MAX_LIVE_SHOWN = LIVE_DETAILED
"""Open warnings listed one by one; the rest are counted."""
MAX_SERVICES_SHOWN = 20


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _state(status: WatchStatus) -> str:
    scan = status.last_scan or {}
    if not status.enabled and status.stale:
        return (
            ":zzz: *The watch is off in this server* — `ANDON_WATCH=1` turns it on (`andon watch` runs it in "
            "a terminal)."
            + (f" The latest scan on record is from {when(float(scan['at']))}." if scan.get("at") else "")
        )
    if status.stale:
        since = f" since {when(float(scan['at']))}" if scan.get("at") else " yet"
        return (
            f":warning: *No scan{since}* — the watch scans every {_minutes(status.interval_s)}; no replica "
            "seems to be watching now."
        )
    if status.blind:
        return (
            f":see_no_evil: *The watch is blind* — {untrusted(status.blind)}. No early warnings until the "
            "metrics source answers again; this is not a sign of health."
        )
    return f":eyes: *Watching* every {_minutes(status.interval_s)}."


def _watched(status: WatchStatus) -> str:
    scan, watch = status.last_scan or {}, status.watch
    names = [str(n) for n in scan.get("service_names") or []]
    shown = ", ".join(untrusted(n) for n in names[:MAX_SERVICES_SHOWN])
    more = len(names) - MAX_SERVICES_SHOWN
    listed = f": {shown}" + (f" and {more} more" if more > 0 else "") if shown else ""
    what = (
        f"*What it watches:* {scan.get('services', 0)} services, {scan.get('series', 0)} series{listed}"
        if scan
        else "*What it watches:* every service the metrics source serves (no scan yet)"
    )
    return (
        f"{what}\nOver the last {_minutes(watch.window_s)} at a {watch.step_s:g} s step: sustained changes in "
        f"their bad direction at z ≥ {status.anomaly_threshold:.3g}, and resources projected full within "
        f"{watch.forecast_horizon_s / 3600:g} h. Each told once per {_minutes(watch.cooldown_s)}."
    )


def _last_scan(status: WatchStatus) -> str:
    scan = status.last_scan
    if not scan or not scan.get("at"):
        return "*Last scan:* none yet."
    said = f"*Last scan:* {when(float(scan['at']))}, {float(scan.get('seconds') or 0):.2f} s"
    if scan.get("blind"):
        return said + f" — blind ({untrusted(scan['blind'])})."
    said += f" — {scan.get('warnings', 0)} warning(s), {scan.get('forecasts', 0)} forecast(s)"
    quiet = [
        f"{scan[k]} {words}"
        for k, words in (("dismissed", "called not a problem before"), ("over_budget", "under a raised threshold"))
        if scan.get(k)
    ]
    return said + (f"; left unsaid: {', '.join(quiet)}" if quiet else "") + "."


def _link(item: LiveItem) -> str | None:
    if item.thread is None:
        return None
    return f"https://slack.com/archives/{item.thread.channel}/p{item.thread.ts.replace('.', '')}"


def _live_line(item: LiveItem) -> str:
    text = untrusted(item.detail.get("text") or item.key)
    link = _link(item)
    line = f"• <{link}|{text}>" if link else f"• {text}"
    action = (item.thread.outcome.get("action") if item.thread is not None else None) or ""
    if item.silenced_until is not None:
        line += f" — silenced until {when(item.silenced_until)}"
    elif action == "investigating":
        line += " — investigating"
    elif action == "dismissed":
        line += " — called not a problem (gone from the next scan)"
    return line


def _live(status: WatchStatus) -> str:
    if not status.live:
        return "*Live warnings:* none."
    lines = [_live_line(item) for item in status.live[:MAX_LIVE_SHOWN]]
    more = len(status.live) - MAX_LIVE_SHOWN
    if more > 0:
        lines.append(f"…and {more} more (`andon watch --once --json` lists them all)")
    return f"*Live warnings ({len(status.live)}):*\n" + "\n".join(lines)


def _budget(status: WatchStatus) -> str:
    watch = status.watch
    head = (
        f"*False-warning budget:* {watch.false_warning_budget} warning(s) per service per "
        f"{window_words(watch.budget_window_s)} may be called not a problem"
    )
    if not status.budgets:
        return head + "; none used."
    lines = []
    for budget in status.budgets:
        line = f"• {untrusted(budget.service)}: {budget.dismissed} of {budget.budget} used"
        lines.append(line + (f" — *over*: warned only at z ≥ {budget.threshold:.3g} now" if budget.over else ""))
    return head + ":\n" + "\n".join(lines)


def watch_status_blocks(status: WatchStatus) -> list[Block]:
    """The whole answer (ephemeral: the person who asked)."""
    blocks = [
        header("Andon watch"),
        section(_state(status), block_id=WatchBlockId.STATUS),
        section(_watched(status)),
        section(_last_scan(status)),
        section(_live(status), block_id=WatchBlockId.STATUS_LIVE),
        section(_budget(status), block_id=WatchBlockId.STATUS_BUDGET),
    ]
    blocks.append(
        context(
            f"{status.dismissed} service signal(s) called not a problem so far (the card's button, or "
            "`andon watch --dismiss SERVICE:SIGNAL`) · docs/watch.md"
        )
    )
    return fit(blocks)
