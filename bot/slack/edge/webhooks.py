"""``POST /alertmanager``, ``/grafana``, ``/pagerduty`` and ``/opsgenie``: rate-limited per client address,
authenticated, parsed and checked, then handed to the alert intake (which stores the alert before its 2xx)."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response

from bot.chat.alerts import AlertIntake
from bot.slack.edge.auth import pagerduty_signed, token_allowed
from bot.slack.edge.ratelimit import TokenBuckets
from bot.slack.edge.responses import error_response, json_response

__all__ = ["Webhooks", "WEBHOOKS", "MAX_DEPTH", "malformed"]

log = logging.getLogger(__name__)
WEBHOOKS = ("/alertmanager", "/grafana", "/pagerduty", "/opsgenie")
"""Alertmanager and Grafana (unified alerting) post the same webhook shape; PagerDuty posts v3 events."""
MAX_DEPTH = 32
"""Nesting a webhook payload may have; real ones (Alertmanager, Grafana, PagerDuty) stay under 8."""


class Webhooks:
    def __init__(self, intake: AlertIntake, limit: TokenBuckets, token: str = "", pagerduty_secret: str = "") -> None:
        """With a ``token``, every webhook but ``/pagerduty`` answers 401 without it; ``/pagerduty`` wants
        its signature when a ``pagerduty_secret`` is set, and the token otherwise."""
        self.intake = intake
        self.limit = limit
        self.token = token
        self.pagerduty_secret = pagerduty_secret

    def admit(self, path: str, client: str, headers: Headers, body: bytes) -> Response | None:
        """The refusal (429, 401) for this request, or None when it may be handled."""
        wait = self.limit.take(client)
        if wait > 0:
            return error_response(
                429, "too many webhook requests from this address", {"Retry-After": str(max(1, math.ceil(wait)))}
            )
        if path == "/pagerduty" and self.pagerduty_secret:
            if not pagerduty_signed(headers.get("x-pagerduty-signature"), body, self.pagerduty_secret):
                return error_response(401, "missing or wrong X-PagerDuty-Signature")
        elif not token_allowed(headers.get("authorization"), self.token):
            return error_response(401, "missing or wrong webhook token (Authorization: Bearer ...)")
        return None

    def answer(self, path: str, client: str, headers: Headers, body: bytes) -> Response:
        """The whole exchange, synchronously (it parses and writes to the store: run it off the event loop)."""
        refused = self.admit(path, client, headers, body)
        if refused is not None:
            return refused
        try:
            payload = json.loads(body or b"null")
        except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, nesting too deep
            return error_response(400, f"invalid JSON: {str(exc)[:200]}")
        problem = malformed(payload)
        if problem:
            return error_response(400, problem)
        try:
            status, result = self.intake.receive(payload)
        except Exception:
            log.exception("%s webhook failed", path)
            return error_response(500, "the webhook could not be handled; see the server log")
        return json_response(status, result)


def malformed(payload: Any) -> str | None:
    """What makes a parsed payload unusable downstream (too deep to walk, text that is not Unicode), or None."""
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"payload nested deeper than {MAX_DEPTH} levels"
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "payload holds text that is not valid Unicode (a lone surrogate escape)"
    return None
