"""Redact secrets (tokens, passwords, keys, connection strings) from anything leaving Andon."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["redact", "redact_data", "redacted_excerpt", "REDACTED"]

REDACTED = "[REDACTED]"

# A token prefix must start a word: "disk-pressure-…" holds "sk-…" and "shelf_…" holds "hf_…".
_B = r"(?<![A-Za-z0-9_-])"
_PATTERNS = [
    re.compile(_B + r"xox[abposre]-[A-Za-z0-9-]{8,}"),  # Slack bot/user/refresh tokens
    re.compile(_B + r"xoxe\.xox[bp]-[A-Za-z0-9-]{8,}"),  # Slack rotating tokens
    re.compile(_B + r"xapp-\d-[A-Za-z0-9-]{8,}"),  # Slack app tokens
    re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+"),
    re.compile(r"https://(?:canary\.|ptb\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]+"),
    re.compile(_B + r"sk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}"),  # OpenAI / Anthropic keys
    re.compile(_B + r"gh[pousr]_[A-Za-z0-9]{30,}"),  # GitHub tokens
    re.compile(_B + r"github_pat_[A-Za-z0-9_]{30,}"),
    re.compile(_B + r"gl(?:pat|rt|dt|ptt|cbt|ft|imt|oas|agent)-[A-Za-z0-9_-]{20,}"),  # GitLab
    re.compile(_B + r"gl(?:sa|c)_[A-Za-z0-9_=+/-]{32,}"),  # Grafana service accounts / cloud
    re.compile(_B + r"(?:AKIA|ASIA)[0-9A-Z]{16}"),  # AWS access key ids
    re.compile(_B + r"AIza[0-9A-Za-z_-]{35}"),  # Google API keys
    re.compile(_B + r"GOCSPX-[A-Za-z0-9_-]{20,}"),  # Google OAuth client secrets
    re.compile(_B + r"(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}"),  # Stripe keys
    re.compile(_B + r"whsec_[A-Za-z0-9]{24,}"),  # Stripe webhook secrets
    re.compile(_B + r"SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"),  # SendGrid
    re.compile(_B + r"npm_[A-Za-z0-9]{36}"),
    re.compile(_B + r"pypi-AgE[A-Za-z0-9_-]{40,}"),
    re.compile(_B + r"hf_[A-Za-z0-9]{30,}"),
    re.compile(_B + r"hv[sbr]\.[A-Za-z0-9_-]{24,}"),  # HashiCorp Vault
    re.compile(_B + r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),  # Shopify
    re.compile(_B + r"do[opr]_v1_[a-f0-9]{64}"),  # DigitalOcean
    re.compile(r"(?<!\d)\d{8,10}:AA[A-Za-z0-9_-]{33}"),  # Telegram bot tokens
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),  # JWTs
    re.compile(
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----", re.S
    ),
]
# user:password@host in URLs and DSNs (postgres://, mysql://, redis://:pw@, amqp://, mongodb+srv://, https://).
# The password runs to the last "@" before the host, so "p@ss@host" loses all of "p@ss".
# Every repetition is bounded and every match starts a word, so long unbroken strings stay linear.
_URL_CREDENTIALS = re.compile(
    r"(?<![a-zA-Z0-9+.-])(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]{0,30}://)(?P<user>[^:/@\s]{0,128}):"
    r"(?P<pw>[^\s/]{1,256})@(?=[^@\s/]{0,256}(?:[/?#\s]|$))"
)
# Names that mark a value as secret. Whole words for the short ones: "author" and "passed" are not secrets.
_SECRET_NAME = (
    r"(?:[\w.-]{0,40}(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"account[_-]?key|private[_-]?key|credential|session[_-]?id|cookie|signature|authorization)[\w.-]{0,40}"
    r"|(?:[\w.-]{0,40}[_.-])?(?:pass|auth|sig))"
)
# key=value, key: value and "key": "value" pairs whose key names a secret
_KEY_VALUE = re.compile(
    r"(?<![\w.-])(?P<key>(?i:" + _SECRET_NAME + r"))"
    r"(?P<sep>\s*[=:]\s*|\"\s*:\s*\"|'\s*:\s*')(?P<quote>[\"']?)(?!(?i:bearer|basic|token)\s)"
    r"(?P<value>[^\s\"',;&}]{4,4096})"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{12,}")
_SECRET_KEY = re.compile(r"(?i)^" + _SECRET_NAME + r"$")


def redact(text: str) -> str:
    """``text`` with every recognisable secret replaced by ``[REDACTED]``."""
    if not text:
        return text
    out = _URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:{REDACTED}@", text)
    for pattern in _PATTERNS:
        out = pattern.sub(REDACTED, out)
    out = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", out)
    out = _KEY_VALUE.sub(
        lambda m: (
            f"{m.group('key')}{m.group('sep')}{m.group('quote')}{REDACTED}"
            if REDACTED not in m.group("value")
            else m.group(0)
        ),
        out,
    )
    return out


def redact_data(value: Any) -> Any:
    """Redact every string inside nested dicts/lists; keys whose name marks a secret lose their value."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(item, str) and _SECRET_KEY.match(str(key)):
                out[key] = REDACTED
            else:
                out[key] = redact_data(item)
        return out
    if isinstance(value, list | tuple):
        return [redact_data(item) for item in value]
    return value


def redacted_excerpt(value: Any, items: int = 50, text: int = 4000) -> Any:
    """``value`` as kept for the record (a trigger, a webhook): redacted, with at most ``items`` entries in
    each list or mapping and ``text`` characters in each string, so a flood of alerts or a megabyte
    annotation keeps its first part and stays the same shape."""
    if isinstance(value, dict):
        return {str(k): redacted_excerpt(v, items, text) for k, v in list(value.items())[:items]}
    if isinstance(value, list | tuple):
        return [redacted_excerpt(v, items, text) for v in value[:items]]
    if isinstance(value, str):
        return redact(value[:text])
    return value
