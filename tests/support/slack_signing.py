"""Signed Slack requests: the signing secret the test servers are started with, and the headers Slack adds."""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = ["SECRET", "signed_headers"]

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def signed_headers(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request signature: ``v0=HMAC-SHA256(secret, "v0:{ts}:{body}")``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}
