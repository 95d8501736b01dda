"""Who may post an alert webhook: the configured token (Bearer or the password of Basic auth), or for
PagerDuty its v3 signature. Every comparison is in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["token_allowed", "pagerduty_signed"]


def token_allowed(authorization: str | None, token: str) -> bool:
    """True when no token is configured, or ``Authorization`` carries it (``Bearer <token>`` or Basic auth
    with it as the password, as Alertmanager's ``http_config`` sends)."""
    if not token:
        return True
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            credentials = base64.b64decode(credentials, validate=True).decode().partition(":")[2]
        except ValueError:
            credentials = ""
    elif scheme.lower() != "bearer":
        credentials = ""
    return hmac.compare_digest(credentials.strip().encode(), token.encode())


def pagerduty_signed(signatures: str | None, body: bytes, secret: str) -> bool:
    """PagerDuty v3 webhooks: ``X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body>`` (several,
    comma-separated, while a secret rotates)."""
    expected = ("v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()).encode()
    given = [s.strip() for s in (signatures or "").split(",")]
    return any(hmac.compare_digest(expected, s.encode("utf-8", "replace")) for s in given if s)
