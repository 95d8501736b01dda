"""When a person says the trouble began: a clock time or a lag dates it; a span only bounds it."""

from __future__ import annotations

import pytest

from bot.reported_time import UNSAID_LAG_S, when_it_began

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("text", "lag_s"),
    [
        ("orders api throwing 500s, started maybe 15-20 min ago?", 15 * 60),
        ("search has been slow for the last 2 hours", 2 * 3600),
        ("checkout errors for 45 minutes now", 45 * 60),
        ("they say our API rejects most of their calls since about an hour", 3600),  # people count in words
        ("search broken for a couple of hours", 2 * 3600),
        ("logins slow since half an hour", 1800),
        ("a few minutes ago the queue stopped draining", 3 * 60),
        ("hey can someone look at payments", UNSAID_LAG_S),
        ("profile-api shipped something at 20:50, could that be it?", UNSAID_LAG_S),  # a deploy's time, not the onset's
    ],
)
def test_a_lag_dates_the_onset_and_no_time_means_just_before_the_message(text: str, lag_s: float) -> None:
    said = when_it_began(text, NOW)
    assert said.started_at == pytest.approx(NOW - lag_s) and said.within_s is None


@pytest.mark.parametrize(
    ("text", "span_s"),
    [
        ("menu pages feel really slow since this morning", 6 * 3600),
        ("it started within the last hour", 3600),
        ("lots of timeouts in the past 30 minutes", 1800),
        ("the export has been broken since yesterday", 24 * 3600),
        ("card payments hang for ages since around lunch, US seems fine?", 6 * 3600),
        ("search has been flaky since noon", 6 * 3600),
    ],
)
def test_a_span_bounds_the_onset_without_dating_it(text: str, span_s: float) -> None:
    said = when_it_began(text, NOW)
    assert said.within_s == span_s and said.started_at == NOW - UNSAID_LAG_S


def test_a_clock_time_after_since_is_the_onset_today_or_yesterday() -> None:
    said = when_it_began("checkout broken since 09:40", NOW)
    assert 0 < NOW - said.started_at < 86400 and said.within_s is None
    assert int(said.started_at) % 3600 == 40 * 60
