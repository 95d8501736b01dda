"""``/andon watch status`` over signed HTTP, through Bolt, as Slack sends it: what the watch watches, its last
scan, the warnings open now (each linked to its thread) and the false-warning budget — which a "Not a problem"
click then spends. Without ``ANDON_WATCH`` the answer says the watch is off; an unknown word gets the usage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.fake_slack import block_problem
from bot.chat.blocks.warning import WatchActionId, WatchBlockId
from tests.support.served_slack import APPROVER, CHANNEL, OUTSIDER, Andon
from tests.support.watched import Watched, cards

pytestmark = pytest.mark.integration


def _section(blocks: list[dict[str, Any]], block_id: str) -> str:
    return next(str(b["text"]["text"]) for b in blocks if b.get("block_id") == block_id)


def _status(andon: Andon, user: str = APPROVER, text: str = "watch status") -> list[dict[str, Any]]:
    response = andon.command(text, user=user)
    assert response.status_code == 200
    body = response.json()
    assert body.get("response_type") == "ephemeral", body
    blocks: list[dict[str, Any]] = body["blocks"]
    assert block_problem(blocks) is None
    return blocks


def test_watch_status_shows_what_is_watched_the_last_scan_the_live_warnings_and_the_budget(watched: Watched) -> None:
    blocks = _status(watched.andon)

    text = "\n".join(str((b.get("text") or {}).get("text", "")) for b in blocks)
    assert "*Watching* every 60 min" in _section(blocks, WatchBlockId.STATUS)
    scan = watched.state.last_scan()
    assert scan is not None and scan["services"] >= 5
    assert f"*What it watches:* {scan['services']} services, {scan['series']} series: " in text
    assert "checkout" in text and "gateway" in text
    assert f"*Last scan:* <!date^{int(scan['at'])}^" in text and f"{scan['warnings']} warning(s)" in text
    live = _section(blocks, WatchBlockId.STATUS_LIVE)
    posted = cards(watched.andon.fake)
    assert f"*Live warnings ({len(watched.state.open_items())}):*" in live
    for card in posted:  # every card's thread is linked from the status
        assert f"https://slack.com/archives/{CHANNEL}/p{card.response['ts'].replace('.', '')}|" in live
    assert "Early warning — gateway " in live
    budget = _section(blocks, WatchBlockId.STATUS_BUDGET)
    assert "1 warning(s) per service per week may be called not a problem; none used." in budget


def test_a_not_a_problem_click_shows_in_the_status_and_spends_the_budget(watched: Watched) -> None:
    card = watched.card_of("gateway")
    clicked = watched.andon.click(WatchActionId.DISMISS, watched.key_of(card), OUTSIDER, CHANNEL, card.response["ts"])
    assert clicked.status_code == 200
    watched.andon.fake.wait_for(
        lambda: [c for c in watched.andon.fake.calls_to("chat.update") if c.args.get("ts") == card.response["ts"]],
        what="the card's update",
    )

    blocks = _status(watched.andon, user=OUTSIDER)  # anyone in the channel may ask

    assert "gateway: 1 of 1 used" in _section(blocks, WatchBlockId.STATUS_BUDGET)
    assert "called not a problem" in _section(blocks, WatchBlockId.STATUS_LIVE)


def test_without_andon_watch_the_status_says_the_watch_is_off(andon: Andon) -> None:
    blocks = _status(andon)

    assert "*The watch is off in this server* — `ANDON_WATCH=1` turns it on" in _section(blocks, WatchBlockId.STATUS)
    assert "*Live warnings:* none." in _section(blocks, WatchBlockId.STATUS_LIVE)


def test_an_unknown_watch_word_gets_the_usage_and_help_lists_watch_status(andon: Andon) -> None:
    unknown = str(andon.command("watch frobnicate").json()["blocks"])
    assert "Unknown watch command `frobnicate`" in unknown and "/andon watch status" in unknown
    assert "/andon watch status" in str(andon.command("help").json()["blocks"])


def test_the_status_of_a_blind_or_stopped_watch_says_so(fake_slack: Any, tmp_path: Path, slack_kb: Any) -> None:
    from bot.watch import WatchState
    from tests.support.served_slack import serving

    with serving(fake_slack, tmp_path, slack_kb, watch=True, watch_interval_s=30) as andon:
        state, now = WatchState(andon.store.db), andon.running.desk.deps.clock()
        state.record_scan(
            {
                "at": now - 10,
                "series": 0,
                "services": 0,
                "seconds": 0.01,
                "blind": "blind: BackendError: Prometheus at http://prom:9090 unreachable",
            }
        )
        state.set_blind("BackendError: Prometheus at http://prom:9090 unreachable", now - 10)
        blind = _section(_status(andon), WatchBlockId.STATUS)
        state.record_scan({"at": now - 600, "series": 40, "services": 5, "seconds": 0.2})
        state.set_blind(None, now)
        stopped = _section(_status(andon, text="watch"), WatchBlockId.STATUS)  # `status` is the default

    assert "*The watch is blind* — BackendError: Prometheus at http://prom:9090 unreachable" in blind
    assert "not a sign of health" in blind
    assert "*No scan since <!date^" in stopped and "no replica seems to be watching now" in stopped
