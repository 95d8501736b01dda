"""``POST /slack/events`` (Events API, interactivity, slash commands): the signature is checked on the raw
bytes before anything of the body is parsed, a replayed signed request is answered once, and only then
does Bolt's App see the request.

Where it runs: over a local SQLite store the event loop verifies each request, then writes its replay key
and, for a request whose listener only writes (:func:`answered_at_once`), runs Bolt itself, in a group
commit (``bot.store.group``): the writes of the requests that came meanwhile share one transaction, and
each is answered once it is committed. A burst of acknowledgements then costs no thread hand-offs (a third
of the serving process's CPU when a hundred came at once), one commit, and no wait on the loop for the
write lock. Anything that may wait — a click, a command that reads, every request over PostgreSQL — runs
on a thread (after its replay key's group commit, over SQLite)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier
from starlette.datastructures import Headers
from starlette.responses import Response

from bot.slack.edge.responses import error_response, json_response

__all__ = ["SlackEvents", "SLACK_PATH", "REPLAY_WINDOW_S", "answered_at_once"]

SLACK_PATH = "/slack/events"
REPLAY_WINDOW_S = 600.0
"""How long a signed Slack request's key is kept: longer than the five minutes its signature is valid."""
PRUNE_EVERY_S = 60.0


class SlackEvents:
    def __init__(
        self,
        bolt: App,
        store: Any,
        signing_secret: str = "",
        clock: Callable[[], float] = time.monotonic,
        command_at_once: Callable[[str], bool] | None = None,
    ) -> None:
        """Without a ``signing_secret`` Bolt alone checks signatures (its own middleware); with one, unsigned
        requests are refused here, before Bolt parses them. ``command_at_once`` tells the slash commands
        answered without a read that could be slow (``Commands.at_once``); without it none is."""
        self.bolt = bolt
        self.store = store
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.command_at_once = command_at_once or (lambda text: False)
        self.on_loop = self.verifier is not None and not getattr(getattr(store, "db", None), "postgres", True)
        """The event loop may verify and write the replay key itself, in group commits (a signing secret, a
        local SQLite store)."""
        self._clock = clock
        self._pruned_at = -PRUNE_EVERY_S
        self._lock = threading.Lock()

    def answer(self, body: bytes, headers: Headers, query: str) -> Response:
        """The whole exchange, synchronously: :meth:`admit`, then :meth:`dispatch`."""
        return self.admit(body, headers) or self.dispatch(body, headers, query)

    def admit(self, body: bytes, headers: Headers) -> Response | None:
        """The refusal of a request that is not Slack's (401) or that Slack's signature already brought (a
        replay: answered, not handled again), or None when Bolt may see it: :meth:`verify`, then
        :meth:`remember`."""
        return self.verify(body, headers) or self.remember(headers)

    def verify(self, body: bytes, headers: Headers) -> Response | None:
        """401 for a request that is not Slack's (checked on the raw bytes: nothing of it is parsed), else
        None. Reads nothing and writes nothing."""
        if self.verifier is None:
            return None
        timestamp = headers.get("x-slack-request-timestamp") or ""
        signature = headers.get("x-slack-signature") or ""
        if not (timestamp.isascii() and timestamp.isdigit()) or not self.verifier.is_valid(body, timestamp, signature):
            return error_response(401, "invalid or expired Slack signature")  # nothing of it was parsed
        return None

    def remember(self, headers: Headers) -> Response | None:
        """Write the replay key of a verified request: the answer to a replay (the same signed bytes again,
        answered, not handled again), or None the first time."""
        if self.verifier is None:
            return None
        if not self.store.first_time(f"slack:request:{headers.get('x-slack-signature') or ''}"):
            return json_response(200, {"ok": True, "duplicate": True})  # the same signed bytes again
        if self._prune_due():  # a signature is only valid for five minutes: so is its key
            self.store.forget_keys("slack:request:", time.time() - REPLAY_WINDOW_S)
        return None

    def dispatch(self, body: bytes, headers: Headers, query: str) -> Response:
        """Bolt's answer to an admitted request (its acknowledging listener runs before this returns)."""
        params: dict[str, Sequence[str]] = dict(parse_qs(query))
        request = BoltRequest(body=body.decode("utf-8", errors="replace"), query=params, headers=_bolt_headers(headers))
        return _response(self.bolt.dispatch(request))

    def at_once(self, body: bytes) -> bool:
        """Whether an admitted request's listener only writes (see :func:`answered_at_once`)."""
        return answered_at_once(body, self.command_at_once)

    def _prune_due(self) -> bool:
        """True at most once every ``PRUNE_EVERY_S`` seconds."""
        now = self._clock()
        with self._lock:
            if now - self._pruned_at < PRUNE_EVERY_S:
                return False
            self._pruned_at = now
            return True


def answered_at_once(body: bytes, command_at_once: Callable[[str], bool]) -> bool:
    """Whether the listener of a (verified) request only writes and answers: an ``app_mention`` (its message
    is written as a job or handed to the desk's threads), Slack's URL check, or a slash command
    ``command_at_once`` names. Other events may look a channel up in Slack, a click reads the pending
    proposals, and the other commands read the store under a budget: those wait on a thread."""
    try:
        if body[:1] == b"{":
            payload = json.loads(body)
            return isinstance(payload, dict) and (
                payload.get("type") == "url_verification"
                or (
                    payload.get("type") == "event_callback"
                    and isinstance(payload.get("event"), dict)
                    and payload["event"].get("type") == "app_mention"
                )
            )
        form = parse_qs(body.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return False  # Bolt answers what it makes of it, on a thread
    return "payload" not in form and "command" in form and command_at_once(form.get("text", [""])[0])


def _bolt_headers(headers: Headers) -> dict[str, str | Sequence[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in headers.items():
        grouped.setdefault(name.lower(), []).append(value)
    return {name: values for name, values in grouped.items()}


def _response(bolt: BoltResponse) -> Response:
    content_type = (bolt.headers.get("content-type") or ["text/plain;charset=utf-8"])[0]
    response = Response(bolt.body or "", status_code=bolt.status, media_type=content_type)
    for name, values in bolt.headers.items():
        if name.lower() in ("content-length", "content-type"):
            continue
        for value in values if isinstance(values, list | tuple) else [values]:
            response.raw_headers.append((name.lower().encode("latin-1"), str(value).encode("latin-1")))
    return response
