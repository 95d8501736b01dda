"""The early-warning card is a pure function of the stored warning: the issue's sentence, the likely cause and
the evidence, the three incident buttons carrying the warning's key, untrusted text made inert, and what
people did shown in place of the buttons they used. Odd records degrade; they never raise."""

from __future__ import annotations

from typing import Any

from bench.fake_slack import block_problem
from bot.chat.blocks.warning import MAX_BUTTON_VALUE, WatchActionId, WatchBlockId, warning_card

T0 = 1_800_000_000.0  # 07:20:00 UTC
WARNING = {
    "service": "payments",
    "family": "latency",
    "signal": "latency_p99_seconds",
    "metric": "latency_p99_seconds",
    "before": 0.2,
    "after": 1.4,
    "since": T0 - 300,
    "score": 60.6,
    "labels": {"route": "/pay"},
    "explained_by": [],
    "new": True,
}
FORECAST = {
    "service": "search",
    "signal": "disk_usage_ratio",
    "metric": "disk_usage_ratio",
    "level": 0.62,
    "capacity": 1.0,
    "slope_per_s": 0.0001,
    "seconds_to_full": 2820.0,
    "percent_per_min": 0.8,
    "labels": {"mountpoint": "/var/lib/search"},
    "new": True,
}
KEY = "warning:payments:latency"


def _text(blocks: list[dict[str, Any]]) -> str:
    return (
        "\n".join(str((b.get("text") or {}).get("text", "")) for b in blocks)
        + "\n"
        + "\n".join(str(e.get("text", "")) for b in blocks if b.get("type") == "context" for e in b["elements"])
    )


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b.get("block_id") == WatchBlockId.ACTIONS for e in b["elements"]]


def test_the_card_says_what_moved_since_when_the_likely_cause_and_the_evidence() -> None:
    blocks = warning_card(WARNING, KEY)

    text = _text(blocks)
    assert "*Early warning — payments latency_p99_seconds 0.2 s → 1.4 s since 07:55:00 UTC* (no alert yet)" in text
    assert "*Likely cause:* a change on payments itself" in text
    assert '*Evidence:* `latency_p99_seconds{route="/pay"}`' in text and "z=60.6" in text
    assert block_problem(blocks) is None


def test_a_warning_another_service_may_explain_names_it_as_the_likely_cause() -> None:
    text = _text(warning_card({**WARNING, "explained_by": ["orders", "db"]}, KEY))

    assert "*Likely cause:* may follow orders, db" in text


def test_the_three_incident_buttons_carry_the_warning_key() -> None:
    buttons = _buttons(warning_card(WARNING, KEY))

    assert [(b["action_id"], b["text"]["text"], b["value"]) for b in buttons] == [
        (WatchActionId.INVESTIGATE, "Investigate now", KEY),
        (WatchActionId.SILENCE, "Silence 1 h", KEY),
        (WatchActionId.DISMISS, "Not a problem", KEY),
    ]


def test_a_forecast_card_says_when_it_runs_out() -> None:
    text = _text(warning_card(FORECAST, "forecast:search:disk_usage_ratio:mountpoint=/var/lib/search"))

    assert "*Exhaustion forecast — disk_usage_ratio of search full in ~47 min* at +0.8%/min (now 62%)" in text
    assert '`disk_usage_ratio{mountpoint="/var/lib/search"}`' in text


def test_untrusted_text_cannot_mention_the_channel_or_carry_a_link() -> None:
    odd = {
        **WARNING,
        "service": "<!channel>",
        "labels": {"route": "<https://evil.example|click me>"},
        "explained_by": ["<@U123>"],
    }

    text = _text(warning_card(odd, "warning:<!channel>:latency"))

    assert "<!channel>" not in text and "<https://evil" not in text and "<@U123>" not in text
    assert "&lt;!channel&gt;" in text and "&lt;https://evil.example|click me&gt;" in text


def test_what_people_did_replaces_the_buttons_they_used() -> None:
    dismissed = warning_card(WARNING, KEY, {"action": "dismissed", "by": "UALICE01", "at": T0})
    silenced = warning_card(WARNING, KEY, {"action": "silenced", "by": "UALICE01", "at": T0, "until": T0 + 3600})
    investigating = warning_card(WARNING, KEY, {"action": "investigating", "by": "<!here>", "at": T0})

    assert _buttons(dismissed) == [] and "*Not a problem*, said <@UALICE01>" in _text(dismissed)
    assert [b["action_id"] for b in _buttons(silenced)] == [WatchActionId.INVESTIGATE, WatchActionId.DISMISS]
    assert "*Silenced* by <@UALICE01>" in _text(silenced) and "<!date^1800003600^" in _text(silenced)
    assert [b["action_id"] for b in _buttons(investigating)] == [WatchActionId.SILENCE, WatchActionId.DISMISS]
    assert "by &lt;!here&gt;" in _text(investigating)  # a name that is not a Slack user id stays inert

    learned = warning_card(
        WARNING, KEY, {"action": "dismissed", "by": "UALICE01", "at": T0, "learned": "inc-learned-0123456789"}
    )
    assert "Learned as past incident `inc-learned-0123456789`" in _text(learned)
    assert "Learned as" not in _text(dismissed)  # a knowledge base that refused it: nothing claimed


def test_odd_records_degrade_instead_of_raising() -> None:
    for detail in (
        {},
        {
            "before": "nan",
            "after": None,
            "since": "yesterday",
            "labels": "oops",
            "explained_by": 5,
            "score": float("inf"),
        },
        {"seconds_to_full": "soon", "capacity": 0, "level": "x"},
    ):
        blocks = warning_card(detail, KEY, outcome={"action": 3})  # type: ignore[dict-item]
        assert block_problem(blocks) is None and "?" in _text(blocks)
    assert block_problem(warning_card("not a dict", KEY)) is None  # type: ignore[arg-type]


def test_a_key_too_long_for_a_button_gets_no_buttons_but_says_how_to_dismiss() -> None:
    blocks = warning_card(WARNING, "forecast:" + "x" * MAX_BUTTON_VALUE)

    assert _buttons(blocks) == [] and "andon watch --dismiss" in _text(blocks)
    assert block_problem(blocks) is None
