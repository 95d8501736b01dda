"""What a scan tells in the incident channel: a new warning opens a thread with its card (escaped, redacted);
told again while the same warning lives, it is said in that thread; a forecast's card follows its projection
in place; blindness is said once, and the recovery once."""

from __future__ import annotations

import pytest

from bot.chat.blocks.warning import WatchBlockId
from bot.chat.watch.threads import WarningThreads
from bot.watch import Scanner, WatchParams, WatchState
from tests.support.served_slack import CHANNEL, Andon
from tests.support.watch_metrics import T0, FakeMetrics, flat
from tests.support.watched import card_text, cards
from tools.sources.base import Series

pytestmark = pytest.mark.integration

SECRET = "xoxb-123456789012-abcdefghijkl"


def _stepped(**labels: str) -> list[Series]:
    latency = flat("payments", "latency_p99_seconds", 0.2, 0.01, seed=1, **labels)
    latency.values[latency.times >= T0 - 300] += 1.2
    return [latency, flat("payments", "request_rate", 120.0, 4.0, seed=2)]


def _filling() -> list[Series]:
    disk = flat("search", "disk_usage_ratio", 0.5, 0.0005, seed=3, mountpoint="/var/lib/search")
    rising = disk.times >= T0 - 900
    disk.values[rising] += (disk.times[rising] - (T0 - 900)) * 0.0001  # +0.6 %/min
    return [disk, flat("search", "request_rate", 300.0, 9.0, seed=5)]


def _scanner(andon: Andon, series: list[Series], cooldown_s: float = 1800.0) -> Scanner:
    return Scanner(FakeMetrics(series), WatchState(andon.store.db), watch=WatchParams(cooldown_s=cooldown_s))


def _in_thread(andon: Andon, ts: str) -> list[str]:
    return [card_text(c) for c in andon.fake.calls_to("chat.postMessage") if c.args.get("thread_ts") == ts]


def test_a_card_escapes_and_redacts_what_the_metrics_carry(andon: Andon) -> None:
    threads = WarningThreads(andon.running.desk.deps)

    threads.publish(_scanner(andon, _stepped(route=f"<!channel> {SECRET}")).scan(T0))

    [card] = cards(andon.fake)
    text = card_text(card)
    assert card.args["channel"] == CHANNEL and "*Early warning — payments latency_p99_seconds" in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert SECRET not in str(card.args) and "[REDACTED]" in text


def test_a_warning_told_again_in_its_life_is_said_in_its_thread_not_a_new_one(andon: Andon) -> None:
    threads = WarningThreads(andon.running.desk.deps)
    scanner = _scanner(andon, _stepped(), cooldown_s=60)

    threads.publish(scanner.scan(T0))
    threads.publish(scanner.scan(T0 + 30))  # cooling down: nothing to say
    threads.publish(scanner.scan(T0 + 90))  # the cooldown passed, still the same warning

    [card] = cards(andon.fake)
    assert [t[:40] for t in _in_thread(andon, card.response["ts"])] == [":repeat: Still there: Early warning — pa"]
    scanner.state.close_unseen(set(), T0 + 100)  # it went away, then came back: a new warning, a new thread
    threads.publish(scanner.scan(T0 + 200))
    assert len(cards(andon.fake)) == 2


def test_a_forecast_card_follows_its_projection_in_place(andon: Andon) -> None:
    threads = WarningThreads(andon.running.desk.deps)
    scanner = _scanner(andon, _filling())

    threads.publish(scanner.scan(T0))
    threads.publish(scanner.scan(T0 + 300))

    [card] = [c for c in cards(andon.fake) if "Exhaustion forecast" in card_text(c)]  # beside the rise's warning
    assert "*Exhaustion forecast — disk_usage_ratio of search full in ~69 min*" in card_text(card)
    updates = [c for c in andon.fake.calls_to("chat.update") if c.args.get("ts") == card.response["ts"]]
    assert len(updates) == 1 and "full in ~63 min*" in card_text(updates[0])
    assert WatchBlockId.ACTIONS in [b.get("block_id") for b in updates[0].blocks]


def test_blindness_is_said_once_and_the_recovery_once(andon: Andon) -> None:
    threads = WarningThreads(andon.running.desk.deps)
    metrics = FakeMetrics(_stepped())
    scanner = Scanner(metrics, WatchState(andon.store.db))
    metrics.error = ConnectionError("prometheus:9090 refused")

    for at in (T0, T0 + 30, T0 + 60):
        threads.publish(scanner.scan(at))
    metrics.error = None
    threads.publish(scanner.scan(T0 + 90))
    threads.publish(scanner.scan(T0 + 120))

    notes = [card_text(c) for c in andon.fake.posts_with(WatchBlockId.NOTE)]
    assert [n.split("*")[1] for n in notes] == ["The watch is blind", "Watching again"]
    assert "prometheus:9090 refused" in notes[0] and len(cards(andon.fake)) == 1


def test_without_an_incident_channel_nothing_is_posted_and_nothing_raises(andon: Andon) -> None:
    deps = andon.running.desk.deps
    deps.settings.incident_channels = []

    WarningThreads(deps).publish(_scanner(andon, _stepped()).scan(T0))

    assert andon.fake.calls_to("chat.postMessage") == []
