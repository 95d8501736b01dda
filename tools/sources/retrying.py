"""An httpx transport that retries what a backend means as "not now": a refused or timed-out connection,
``429 Too Many Requests`` and ``503 Service Unavailable``. Every other answer, 4xx included, is final.

Only failures that leave the request unprocessed are retried, so a POST (an Alertmanager silence) is never
applied twice. A certificate that failed verification is not retried either: it would fail the same way.
"""

from __future__ import annotations

import math
import ssl
import time
from collections.abc import Callable

import httpx

__all__ = [
    "FIRST_BACKOFF_S",
    "MAX_ATTEMPTS",
    "RETRIED_STATUSES",
    "RETRY_AFTER_CAP_S",
    "RetryingTransport",
    "backoff_s",
    "retry_delay_s",
]

MAX_ATTEMPTS = 3
"""One try and two retries: rides out a backend restart or a moment's overload without stalling an investigation."""
FIRST_BACKOFF_S = 0.25
"""Wait before the first retry, doubled before each next one (0.25 s, 0.5 s): short, as a person waits on the answer."""
RETRY_AFTER_CAP_S = 5.0
"""Longest ``Retry-After`` honoured: a backend asking for more is down for this investigation's purposes."""
RETRIED_STATUSES = frozenset({429, 503})
"""Statuses that say "not now" rather than "no" (too many requests, unavailable)."""

_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)


def backoff_s(retry: int) -> float:
    """The wait before retry number ``retry`` (0 for the first) when the backend names none."""
    return float(FIRST_BACKOFF_S * 2**retry)


def retry_delay_s(response: httpx.Response, retry: int) -> float:
    """A numeric ``Retry-After`` (seconds, capped at :data:`RETRY_AFTER_CAP_S`), else :func:`backoff_s`."""
    try:
        asked = float(response.headers.get("Retry-After", ""))
    except ValueError:  # absent, or an HTTP date (not worth a clock comparison): our own backoff
        return backoff_s(retry)
    if not math.isfinite(asked):
        return backoff_s(retry)
    return min(max(asked, 0.0), RETRY_AFTER_CAP_S)


def _certificate_rejected(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


class RetryingTransport(httpx.BaseTransport):
    """Wraps ``inner`` (an :class:`httpx.HTTPTransport`), retrying up to :data:`MAX_ATTEMPTS` attempts in all;
    after the last one the backend's own answer (or the connection error) is what the caller sees."""

    def __init__(self, inner: httpx.BaseTransport, sleep: Callable[[float], None] = time.sleep) -> None:
        self.inner = inner
        self.sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for retry in range(MAX_ATTEMPTS - 1):
            try:
                response = self.inner.handle_request(request)
            except _CONNECT_ERRORS as exc:
                if _certificate_rejected(exc):
                    raise
                self.sleep(backoff_s(retry))
                continue
            if response.status_code not in RETRIED_STATUSES:
                return response
            delay = retry_delay_s(response, retry)
            response.close()
            self.sleep(delay)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
