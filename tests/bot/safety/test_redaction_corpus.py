"""The redaction corpus: every realistic secret format disappears from text and structured data, the
text around it survives, and look-alikes that are not secrets (versions, SHAs, UUIDs, metric names) stay."""

from __future__ import annotations

import json

import pytest

from tests.bot.safety.secrets_corpus import NOT_SECRETS, SECRETS, Secret
from tools.redaction import REDACTED, redact, redact_data


def test_the_corpus_is_large_and_distinct() -> None:
    assert len(SECRETS) >= 40
    assert len({s.name for s in SECRETS}) == len(SECRETS)
    for case in SECRETS:
        assert case.secret in case.text, case.name
        assert all(k in case.text for k in case.keep), case.name


@pytest.mark.parametrize("case", SECRETS, ids=[s.name for s in SECRETS])
def test_secret_is_redacted_and_its_context_kept(case: Secret) -> None:
    out = redact(case.text)
    assert case.secret not in out, f"{case.name} leaked: {out!r}"
    assert REDACTED in out
    for kept in case.keep:
        assert kept in out, f"{case.name}: lost {kept!r} from the context: {out!r}"


@pytest.mark.parametrize("case", SECRETS, ids=[s.name for s in SECRETS])
def test_secret_is_redacted_inside_structured_data(case: Secret) -> None:
    data = {
        "summary": f"tool output: {case.text}",
        "lines": [{"message": case.text, "level": "error"}],
        "nested": [[case.text]],
    }
    out = json.dumps(redact_data(data))
    assert case.secret not in out and json.dumps(case.secret)[1:-1] not in out, case.name
    assert '"level": "error"' in out


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_non_secrets_survive(text: str) -> None:
    assert redact(text) == text


def test_secret_named_keys_lose_their_values() -> None:
    data = {
        "password": "x",
        "db": {"api_key": "short", "auth": "ZGVwbG95OnB3", "author": "ci-bot", "token_count": 12, "passed": "412"},
    }
    assert redact_data(data) == {
        "password": REDACTED,
        "db": {"api_key": REDACTED, "auth": REDACTED, "author": "ci-bot", "token_count": 12, "passed": "412"},
    }


def test_redaction_is_idempotent() -> None:
    for case in SECRETS:
        once = redact(case.text)
        assert redact(once) == once, case.name


@pytest.mark.parametrize(
    "text",
    [
        "a" * 200_000,
        "token" * 40_000 + "=abc",
        "postgres://u:" + "p" * 200_000,
        "x://" + "a:" * 100_000,
        "password=" * 20_000,
        "-" * 200_000,
    ],
)
def test_long_unbroken_input_is_redacted_in_linear_time(text: str) -> None:
    import time

    started = time.perf_counter()
    redact(text)
    assert time.perf_counter() - started < 2.0
