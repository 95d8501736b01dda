"""``POST /slack/events`` (Events API, interactivity, slash commands): the signature is checked on the raw
bytes before anything of the body is parsed, a replayed signed request is answered once, and only then
does Bolt's App see the request."""

from __future__ import annotations

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

__all__ = ["SlackEvents", "SLACK_PATH", "REPLAY_WINDOW_S"]

SLACK_PATH = "/slack/events"
REPLAY_WINDOW_S = 600.0
"""How long a signed Slack request's key is kept: longer than the five minutes its signature is valid."""
PRUNE_EVERY_S = 60.0


class SlackEvents:
    def __init__(self, bolt: App, store: Any, signing_secret: str = "",
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Without a ``signing_secret`` Bolt alone checks signatures (its own middleware); with one, unsigned
        requests are refused here, before Bolt parses them."""
        self.bolt = bolt
        self.store = store
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._clock = clock
        self._pruned_at = -PRUNE_EVERY_S
        self._lock = threading.Lock()

    def answer(self, body: bytes, headers: Headers, query: str) -> Response:
        """The whole exchange, synchronously (it verifies, writes a replay key and runs Bolt's acknowledging
        listener: run it off the event loop)."""
        if self.verifier is not None:
            timestamp = headers.get("x-slack-request-timestamp") or ""
            signature = headers.get("x-slack-signature") or ""
            if not (timestamp.isascii() and timestamp.isdigit()) or not self.verifier.is_valid(body, timestamp,
                                                                                              signature):
                return error_response(401, "invalid or expired Slack signature")  # nothing of it was parsed
            if not self.store.first_time(f"slack:request:{signature}"):
                return json_response(200, {"ok": True, "duplicate": True})  # the same signed bytes again
            if self._prune_due():  # a signature is only valid for five minutes: so is its key
                self.store.forget_keys("slack:request:", time.time() - REPLAY_WINDOW_S)
        params: dict[str, Sequence[str]] = dict(parse_qs(query))
        request = BoltRequest(body=body.decode("utf-8", errors="replace"), query=params, headers=_bolt_headers(headers))
        return _response(self.bolt.dispatch(request))

    def _prune_due(self) -> bool:
        """True at most once every ``PRUNE_EVERY_S`` seconds."""
        now = self._clock()
        with self._lock:
            if now - self._pruned_at < PRUNE_EVERY_S:
                return False
            self._pruned_at = now
            return True


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
