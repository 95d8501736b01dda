"""The early-warning card: what the watch saw on a service before any alert (or a resource about to run out),
the likely cause and the evidence, with "Investigate now", "Silence 1 h" and "Not a problem" — and, once
someone clicked, who did what and when. Built from the warning's stored detail (a dict), so an odd or old
record degrades to fewer words, never to an exception."""

from __future__ import annotations

import datetime as dt
import math
import re
from enum import StrEnum
from typing import Any

from bot.chat.blocks.kit import Block, context, fit, mention, section, untrusted, when

__all__ = ["WatchActionId", "WatchBlockId", "warning_card", "warning_note", "MAX_BUTTON_VALUE"]

MAX_BUTTON_VALUE = 2000
"""Slack's limit on a button's value (the warning's key rides in it)."""


class WatchActionId(StrEnum):
    """Buttons on a warning's card."""

    INVESTIGATE = "andon.watch.investigate"
    SILENCE = "andon.watch.silence"
    DISMISS = "andon.watch.dismiss"


class WatchBlockId(StrEnum):
    WARNING = "andon.watch.warning"
    EVIDENCE = "andon.watch.evidence"
    OUTCOME = "andon.watch.outcome"
    ACTIONS = "andon.watch.actions"
    NOTE = "andon.watch.note"
    STATUS = "andon.watch.status"
    STATUS_LIVE = "andon.watch.status.live"
    STATUS_BUDGET = "andon.watch.status.budget"


_LABEL = {
    WatchActionId.INVESTIGATE: "Investigate now",
    WatchActionId.SILENCE: "Silence 1 h",
    WatchActionId.DISMISS: "Not a problem",
}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _amount(value: Any, metric: str) -> str:
    """A reading in the unit its metric name states: ``1.4 s``, ``35%``, ``512 MB``."""
    number = _number(value)
    if number is None:
        return "?"
    name = metric.lower()
    if name.endswith("_seconds"):
        return f"{number:.3g} s" if number >= 0.1 else f"{number * 1000:.3g} ms"
    if name.endswith("_ratio"):
        return f"{number:.1%}"
    if name.endswith(("_percent", "_pct")):
        return f"{number:.3g}%"
    if name.endswith("_bytes"):
        for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
            if abs(number) >= size:
                return f"{number / size:.3g} {unit}"
        return f"{number:.3g} B"
    return f"{number:.4g}"


def _clock(at: Any) -> str:
    number = _number(at)
    if number is None or number <= 0:
        return "?"
    return dt.datetime.fromtimestamp(number, dt.UTC).strftime("%H:%M:%S UTC")


def _series(detail: dict[str, Any]) -> str:
    found = detail.get("labels")
    labels: dict[str, Any] = found if isinstance(found, dict) else {}
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{detail.get('metric') or detail.get('signal') or '?'}" + (f"{{{inner}}}" if inner else "")


def _warning_text(detail: dict[str, Any]) -> tuple[str, str, str]:
    service, signal = untrusted(detail.get("service") or "?"), untrusted(detail.get("signal") or "?")
    metric = str(detail.get("metric") or detail.get("signal") or "")
    head = (
        f":warning: *Early warning — {service} {signal} {_amount(detail.get('before'), metric)} → "
        f"{_amount(detail.get('after'), metric)} since {_clock(detail.get('since'))}* (no alert yet)"
    )
    explained = (
        [str(s) for s in detail.get("explained_by") or [] if s] if isinstance(detail.get("explained_by"), list) else []
    )
    cause = (
        f"*Likely cause:* may follow {untrusted(', '.join(explained))} — a dependency or caller the engine "
        f"ranks as changing too; {service} may be its victim"
        if explained
        else f"*Likely cause:* a change on {service} itself (nothing it calls or serves explains it)"
    )
    score = _number(detail.get("score"))
    evidence = (
        f"*Evidence:* `{untrusted(_series(detail))}` moved in its bad direction"
        + (f" by z={score:.1f}" if score is not None else "")
        + ", and its latest readings all still stand beyond the anomaly threshold"
    )
    return head, cause, evidence


def _forecast_text(detail: dict[str, Any]) -> tuple[str, str, str]:
    service, signal = untrusted(detail.get("service") or "?"), untrusted(detail.get("signal") or "?")
    seconds, level = _number(detail.get("seconds_to_full")), _number(detail.get("level"))
    capacity, rate = _number(detail.get("capacity")), _number(detail.get("percent_per_min"))
    eta = "?" if seconds is None else (f"~{seconds / 60:.0f} min" if seconds < 7200 else f"~{seconds / 3600:.1f} h")
    now = f" (now {level / capacity:.0%})" if level is not None and capacity else ""
    pace = f" at {rate:+.2g}%/min" if rate is not None else ""
    head = f":hourglass_flowing_sand: *Exhaustion forecast — {signal} of {service} full in {eta}*{pace}{now}"
    cause = f"*Likely cause:* a steady rise on {service} (a leak, a growing backlog, or load outgrowing its limit)"
    bound = f"its capacity {capacity:.4g}" if capacity is not None else "its capacity"
    evidence = (
        f"*Evidence:* `{untrusted(_series(detail))}`: the trend of the last ten minutes (Theil–Sen) "
        f"reaches {bound}; re-checked every scan and updated here"
    )
    return head, cause, evidence


def _who(user: Any) -> str:
    """A Slack user as a mention; anything else (a name from the terminal) as inert text."""
    text = str(user or "")
    return mention(text) if re.fullmatch(r"[UW][A-Z0-9]{2,}", text) else untrusted(text or "someone")


def _outcome(outcome: dict[str, Any]) -> str | None:
    action = outcome.get("action")
    who, at = _who(outcome.get("by")), _number(outcome.get("at"))
    stamp = f" at {when(at)}" if at else ""
    if action == "dismissed":
        learned = outcome.get("learned")
        return (
            f":white_check_mark: *Not a problem*, said {who}{stamp}: this shape on this service is not "
            "flagged again (a much larger change still is)."
            + (
                f" Learned as past incident `{untrusted(learned)}`: investigations of this service recall it."
                if learned
                else ""
            )
        )
    if action == "silenced":
        until = _number(outcome.get("until"))
        return f":zipper_mouth_face: *Silenced* by {who}{stamp}" + (f" until {when(until)}." if until else ".")
    if action == "investigating":
        return f":mag: *Investigation opened* by {who}{stamp} — it follows in this thread."
    return None


def _buttons(key: str, outcome: dict[str, Any]) -> Block | None:
    action = outcome.get("action")
    if action == "dismissed" or len(key) > MAX_BUTTON_VALUE:
        return None
    shown = [
        a
        for a in WatchActionId
        if not (a is WatchActionId.INVESTIGATE and action == "investigating")
        and not (a is WatchActionId.SILENCE and action == "silenced")
    ]
    elements = []
    for action_id in shown:
        button: dict[str, Any] = {
            "type": "button",
            "action_id": action_id.value,
            "value": key,
            "text": {"type": "plain_text", "text": _LABEL[action_id], "emoji": True},
        }
        if action_id is WatchActionId.INVESTIGATE:
            button["style"] = "primary"
        elements.append(button)
    return {"type": "actions", "block_id": WatchBlockId.ACTIONS.value, "elements": elements}


def warning_card(detail: dict[str, Any], key: str, outcome: dict[str, Any] | None = None) -> list[Block]:
    """The card of one warning (``detail``: :meth:`EarlyWarning.to_dict`) or forecast (:meth:`Forecast.to_dict`),
    ``key`` its watch key (carried by the buttons); ``outcome``: what people did with it."""
    detail = detail if isinstance(detail, dict) else {}
    outcome = outcome if isinstance(outcome, dict) else {}
    forecast = str(key).startswith("forecast:") or "seconds_to_full" in detail
    head, cause, evidence = (_forecast_text if forecast else _warning_text)(detail)
    blocks: list[Block] = [
        section(head, block_id=WatchBlockId.WARNING),
        section(f"{cause}\n{evidence}", block_id=WatchBlockId.EVIDENCE),
    ]
    said = _outcome(outcome)
    if said:
        blocks.append(section(said, block_id=WatchBlockId.OUTCOME))
    buttons = _buttons(str(key), outcome)
    if buttons is not None:
        blocks.append(buttons)
    elif len(str(key)) > MAX_BUTTON_VALUE:
        blocks.append(
            context("_This warning's name is too long for buttons: use `andon watch --dismiss` in a terminal._")
        )
    blocks.append(context(f"Andon watch · `{untrusted(key)[:200]}` · an alert for this service joins this thread"))
    return fit(blocks)


def warning_note(text: str) -> list[Block]:
    """A line in a warning's thread (still there, blind, watching again)."""
    return [section(text, block_id=WatchBlockId.NOTE)]
