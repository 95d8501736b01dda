"""The buttons on a warning's card, clicked as Slack sends them (signed, through Bolt): "Not a problem"
records the dismissal, the watch stops flagging that shape, and the knowledge base learns it; "Silence 1 h" holds it
quiet; "Investigate
now" opens one incident in the warning's thread and investigates it as an alert would. Each updates the card."""

from __future__ import annotations

import pytest

from bench.fake_slack import Call, block_ids
from bot.chat.blocks.warning import WatchActionId, WatchBlockId
from bot.chat.ids import BlockId
from bot.watch import Scanner, WatchParams
from bot.watch.learning import dismissal_doc_id
from tests.support.served_slack import APPROVER, CHANNEL, OUTSIDER
from tests.support.watched import Watched, card_text

pytestmark = pytest.mark.integration


def _updates_of(watched: Watched, card: Call) -> list[Call]:
    return [c for c in watched.andon.fake.calls_to("chat.update") if c.args.get("ts") == card.response["ts"]]


def _click(watched: Watched, action: WatchActionId, card: Call, user: str = APPROVER) -> None:
    answer = watched.andon.click(action, watched.key_of(card), user, CHANNEL, card.response["ts"])
    assert answer.status_code == 200


def test_not_a_problem_records_the_dismissal_and_the_watch_stops_flagging_it(watched: Watched) -> None:
    card = watched.card_of("gateway")
    key = watched.key_of(card)
    signal = watched.state.held(key).detail["signal"]  # type: ignore[union-attr]

    _click(watched, WatchActionId.DISMISS, card, user=OUTSIDER)

    update = watched.andon.fake.wait_for(lambda: _updates_of(watched, card), what="the card's update")[-1]
    assert WatchBlockId.OUTCOME in block_ids(update) and WatchBlockId.ACTIONS not in block_ids(update)
    assert f"*Not a problem*, said <@{OUTSIDER}>" in card_text(update)
    assert watched.state.dismissals()[("gateway", signal)].by == OUTSIDER
    again = watched.watcher.scanner.scan(watched.andon.running.desk.deps.clock())
    assert f"gateway:{signal}" in again.dismissed and key not in {w.key for w in again.warnings}
    # …and the knowledge base learned it: a no-fault past incident of gateway, which investigations recall
    learned = dismissal_doc_id("gateway", signal)
    assert f"Learned as past incident `{learned}`" in card_text(update)
    hits = watched.andon.running.desk.deps.kb.layer.search(f"gateway {signal}", k=3, kind="incident", service="gateway")
    assert [(h.doc_id, h.category, h.services) for h in hits[:1]] == [(learned, "no_fault", ["gateway"])]


def test_silence_holds_the_warning_quiet_for_an_hour(watched: Watched) -> None:
    card = watched.card_of("checkout")
    key = watched.key_of(card)
    clock = watched.andon.running.desk.deps.clock

    _click(watched, WatchActionId.SILENCE, card)

    update = watched.andon.fake.wait_for(lambda: _updates_of(watched, card), what="the card's update")[-1]
    assert f"*Silenced* by <@{APPROVER}>" in card_text(update)
    assert watched.state.silenced_until(key) == clock() + 3600
    no_cooldown = Scanner(
        watched.watcher.scanner.metrics, watched.state, watched.watcher.scanner.params, WatchParams(cooldown_s=0.0)
    )
    told = {w.key: w.new for w in no_cooldown.scan(clock()).warnings}
    assert told[key] is False and any(told.values())  # the others are told again; the silenced one is not


def test_investigate_now_opens_one_incident_in_the_warning_thread_and_investigates(watched: Watched) -> None:
    card = watched.card_of("gateway")
    fake, store = watched.andon.fake, watched.andon.store

    _click(watched, WatchActionId.INVESTIGATE, card)
    _click(watched, WatchActionId.INVESTIGATE, card)  # a double click opens nothing more

    def in_thread(block: str) -> list[Call]:
        return [c for c in fake.posts_with(block) if c.args.get("thread_ts") == card.response["ts"]]

    fake.wait_for(lambda: in_thread(BlockId.RCA_HEADER), what="the RCA card in the warning's thread")
    incident = store.find_by_thread(CHANNEL, card.response["ts"])
    assert incident is not None and incident["services"] == ["gateway"]
    assert len(in_thread(BlockId.PROGRESS)) == 1 and len(store.list()) == 1
    update = fake.wait_for(lambda: _updates_of(watched, card), what="the card's update")[-1]
    assert "*Investigation opened* by" in card_text(update)


def test_a_click_on_a_warning_the_watch_no_longer_knows_is_answered_not_ignored(watched: Watched) -> None:
    card = watched.card_of("gateway")

    watched.andon.click(WatchActionId.INVESTIGATE, "warning:nowhere:latency", APPROVER, CHANNEL, card.response["ts"])

    said = watched.andon.fake.wait_for(lambda: watched.andon.fake.calls_to("chat.postEphemeral"), what="an answer")
    assert "no longer known" in said[-1].args["text"] and watched.andon.store.list() == []
