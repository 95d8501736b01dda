"""Bolt handlers: each turns one Slack payload into a Desk call. Bolt answers Slack when a handler returns
(``process_before_response``), so each does only what must be durable before that and leaves the rest to
other threads or the worker process: a message is handed to the desk (a job written for the worker
process), a slash command is acknowledged with its answer — at once when it needs no read that could be slow
(``AT_ONCE``), else when that is ready within ``ACK_BUDGET_S``, else at once with the answer following — and
answered once per ``trigger_id``, and a button click is recorded, then followed up on the desk's threads."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Literal, cast

from slack_bolt import Ack, Respond

from bot.chat.approvals import Click
from bot.chat.blocks import Block, help_blocks, parse_button_value
from bot.chat.blocks.kit import fallback_text, section, untrusted
from bot.chat.commands import HELP, CommandReply, CommandRequest
from bot.chat.conversations import InboundMessage
from bot.chat.desk import Desk
from tools.redaction import redact, redact_data

__all__ = ["on_mention", "on_message", "on_command", "on_decision", "redacted_reply"]

log = logging.getLogger(__name__)
ACK_BUDGET_S = 0.5
"""How long a slash command's answer may take before the ack goes out without it: Slack allows 3 s from the
request, part of which the request spent reaching the listener. The answer then follows through response_url."""
COMMAND_WORKERS = 8
REDACTED_REPLIES_KEPT = 64
"""Slash-command answers whose redaction is remembered (the most recent ones)."""
_HANDLED_SUBTYPES = (None, "bot_message", "thread_broadcast", "file_share")


def _text(event: dict[str, Any]) -> str:
    """A message's text; alert integrations often put it in attachments."""
    parts = [str(event.get("text") or "")]
    for attachment in event.get("attachments") or []:
        parts += [str(attachment.get(k) or "") for k in ("pretext", "title", "text")]
        if not any(attachment.get(k) for k in ("pretext", "title", "text")):
            parts.append(str(attachment.get("fallback") or ""))
    return "\n".join(p for p in parts if p.strip())


def _inbound(body: dict[str, Any], event: dict[str, Any], mention: bool) -> InboundMessage:
    return InboundMessage(
        channel=str(event.get("channel", "")),
        ts=str(event.get("ts", "")),
        text=_text(event),
        user=event.get("user") or event.get("bot_id"),
        thread_ts=event.get("thread_ts"),
        event_id=body.get("event_id"),
        mention=mention,
    )


def on_mention(desk: Desk) -> Callable[..., None]:
    def handle(body: dict[str, Any], event: dict[str, Any]) -> None:
        desk.receive_later(_inbound(body, event, mention=True))

    return handle


def on_message(desk: Desk) -> Callable[..., None]:
    def handle(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("subtype") not in _HANDLED_SUBTYPES:
            return  # edits, deletions, joins…
        desk.receive_later(_inbound(body, event, mention=False))

    return handle


def on_command(desk: Desk) -> Callable[..., None]:
    answering = ThreadPoolExecutor(max_workers=COMMAND_WORKERS, thread_name_prefix="andon-command")
    redacted_reply(help_blocks(HELP))  # the commonest answer, redacted once now rather than by a burst at once

    def handle(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        def later(blocks: list[Block], public: bool = False) -> None:
            blocks = redact_data(blocks)
            respond(
                text=fallback_text(blocks),
                blocks=blocks,
                response_type="in_channel" if public else "ephemeral",
                replace_original=False,
            )

        if not desk.commands.first_delivery(str(body.get("trigger_id") or "")):
            ack()  # the same command again (a replayed request): it was answered once
            return
        text = str(body.get("text") or "")
        request = CommandRequest(
            text=text,
            user=str(body.get("user_id", "")),
            channel=str(body.get("channel_id", "")),
            respond=later,
            response_url=str(body.get("response_url") or ""),
        )
        try:
            if desk.commands.at_once(text):  # no read that could be slow: no other thread to wait for
                reply = desk.commands.handle(request)
            else:
                answer = answering.submit(desk.commands.handle, request)
                reply = answer.result(timeout=ACK_BUDGET_S)
        except FutureTimeout:  # acknowledge now; the answer follows through response_url
            ack(text=f":hourglass_flowing_sand: Working on `/andon {text}`…", response_type="ephemeral")
            answer.add_done_callback(lambda done: _answer_late(done, later, text))
            return
        except Exception as exc:
            log.exception("/andon %s failed", text)
            ack(text=redact(_failure(text, exc)), response_type="ephemeral")
            return
        blocks = redacted_reply(reply.blocks)
        ack(text=fallback_text(blocks), blocks=blocks, response_type="in_channel" if reply.public else "ephemeral")

    return handle


def redacted_reply(blocks: list[Block]) -> list[Block]:
    """``blocks`` redacted, as every answer is; the same answer again (the help, a list nothing changed in)
    is redacted once: thirty patterns over every string cost an acknowledgement more than the rest of it."""
    return cast(list[Block], json.loads(_redacted_json(json.dumps(blocks, sort_keys=True))))


@functools.lru_cache(maxsize=REDACTED_REPLIES_KEPT)
def _redacted_json(blocks: str) -> str:
    return json.dumps(redact_data(json.loads(blocks)))


def _failure(text: str, exc: BaseException) -> str:
    return f":warning: `/andon {untrusted(text)}` failed: {type(exc).__name__}: {untrusted(exc)}"


def _answer_late(done: Future[CommandReply], send: Callable[[list[Block], bool], None], text: str) -> None:
    """Deliver a command's answer that missed the acknowledgement (or say why there is none)."""
    try:
        reply = done.result()
    except Exception as exc:
        log.exception("/andon %s failed", text)
        send([section(_failure(text, exc))], False)
        return
    try:
        send(reply.blocks, reply.public)
    except Exception:
        log.exception("could not deliver the answer to /andon %s", text)


def on_decision(desk: Desk, decision: Literal["approve", "reject"]) -> Callable[..., None]:
    def handle(ack: Ack, body: dict[str, Any]) -> None:
        try:
            incident_id, proposal_id, digest = parse_button_value(str(body["actions"][0].get("value", "")))
        except (KeyError, IndexError, ValueError) as exc:
            ack()
            log.warning("ignoring a click that is not an Andon approval: %s", exc)
            return
        container = body.get("container") or {}
        channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        message_ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
        click = Click(
            incident_id=incident_id,
            proposal_id=proposal_id,
            digest=digest,
            decision=decision,
            user=str(body["user"]["id"]),
            channel=channel,
            message_ts=message_ts,
        )
        recorded = desk.approvals.record(click)  # durable before Slack hears "received": a crash loses no click
        ack()
        desk.after_ack(desk.approvals.follow_up, click, recorded)  # Bolt answers Slack when this returns

    return handle
