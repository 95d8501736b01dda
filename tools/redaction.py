"""Redact secrets (tokens, passwords, keys, connection strings) from anything leaving Andon."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["redact", "redact_data", "REDACTED"]

REDACTED = "[REDACTED]"

_PATTERNS = [
    re.compile(r"xox[abposr]-[A-Za-z0-9-]{8,}"),                       # Slack tokens
    re.compile(r"xapp-\d-[A-Za-z0-9-]{8,}"),                           # Slack app tokens
    re.compile(r"sk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}"),              # OpenAI / Anthropic keys
    re.compile(r"gh[pousr]_[A-Za-z0-9]{30,}"),                         # GitHub tokens
    re.compile(r"github_pat_[A-Za-z0-9_]{30,}"),
    re.compile(r"glpat-[A-Za-z0-9_-]{20,}"),                           # GitLab
    re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}"),                          # AWS access key ids
    re.compile(r"AIza[0-9A-Za-z_-]{35}"),                              # Google API keys
    re.compile(r"(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}"),        # Stripe
    re.compile(r"SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"),         # SendGrid
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),  # JWTs
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/]+"),
    re.compile(r"npm_[A-Za-z0-9]{36}"),
    re.compile(r"hf_[A-Za-z0-9]{30,}"),
]
# user:password@ in URLs and DSNs (postgres://, mysql://, redis://, amqp://, mongodb+srv://, https://)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]+):(?P<pw>[^@\s/]+)@")
# key=value and "key": "value" pairs whose key names a secret
_KEY_VALUE = re.compile(
    r"(?P<key>(?i:[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
    r"client[_-]?secret|auth|credential|signing[_-]?secret|session[_-]?id|cookie)[\w.-]*))"
    r"(?P<sep>\s*[=:]\s*|\"\s*:\s*\"|'\s*:\s*')(?P<quote>[\"']?)(?P<value>[^\s\"',;&}]{4,})")
_BEARER = re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]{12,}")


def redact(text: str) -> str:
    """``text`` with every recognisable secret replaced by ``[REDACTED]``."""
    if not text:
        return text
    out = _URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:{REDACTED}@", text)
    for pattern in _PATTERNS:
        out = pattern.sub(REDACTED, out)
    out = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", out)
    out = _KEY_VALUE.sub(lambda m: f"{m.group('key')}{m.group('sep')}{m.group('quote')}{REDACTED}"
                         if m.group("value") != REDACTED else m.group(0), out)
    return out


def redact_data(value: Any) -> Any:
    """Redact every string inside nested dicts/lists; keys whose name marks a secret lose their value."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(item, str) and re.search(r"(?i)password|secret|token|api[_-]?key|private[_-]?key|credential",
                                                   str(key)):
                out[key] = REDACTED
            else:
                out[key] = redact_data(item)
        return out
    if isinstance(value, list | tuple):
        return [redact_data(item) for item in value]
    return value
