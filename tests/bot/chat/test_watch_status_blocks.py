"""The ``/andon watch status`` answer is a pure function of the watch's status: within Slack's limits however
many warnings are open, names from the metrics made inert, and a service over its budget shown with the
threshold it is now warned at."""

from __future__ import annotations

from typing import Any

from bench.fake_slack import block_problem
from bot.chat.blocks.warning import WatchBlockId
from bot.chat.blocks.watch_status import MAX_LIVE_SHOWN, watch_status_blocks
from bot.watch import WatchParams
from bot.watch.budget import ServiceBudget
from bot.watch.state import WarningThread
from bot.watch.status import LiveItem, WatchStatus

T0 = 1_800_000_000.0


def _text(blocks: list[dict[str, Any]], block_id: str) -> str:
    return next(str(b["text"]["text"]) for b in blocks if b.get("block_id") == block_id)


def _item(i: int, service: str = "payments") -> LiveItem:
    key = f"warning:{service}-{i}:latency"
    thread = WarningThread(
        key=key,
        channel="CINC",
        ts=f"1800000000.{i:06d}",
        posted_at=T0,
        opened_at=T0,
        outcome={"action": "investigating"} if i == 0 else {},
    )
    return LiveItem(
        key=key,
        detail={"service": f"{service}-{i}", "text": f"Early warning — {service}-{i} latency"},
        thread=thread,
        silenced_until=T0 + 600 if i == 1 else None,
    )


def _status(**changes: Any) -> WatchStatus:
    base: dict[str, Any] = dict(
        enabled=True,
        interval_s=30.0,
        watch=WatchParams(),
        now=T0,
        last_scan={
            "at": T0 - 20,
            "series": 400,
            "services": 20,
            "seconds": 0.3,
            "warnings": 2,
            "forecasts": 1,
            "dismissed": 1,
            "service_names": [f"svc{i}" for i in range(25)],
        },
        blind=None,
    )
    return WatchStatus(**{**base, **changes})


def test_many_live_warnings_are_listed_up_to_a_limit_with_their_threads_and_outcomes() -> None:
    blocks = watch_status_blocks(_status(live=[_item(i) for i in range(MAX_LIVE_SHOWN + 5)]))

    live = _text(blocks, WatchBlockId.STATUS_LIVE)
    assert live.startswith(f"*Live warnings ({MAX_LIVE_SHOWN + 5}):*")
    assert live.count("• <https://slack.com/archives/CINC/p1800000000") == MAX_LIVE_SHOWN
    assert "…and 5 more" in live and "payments-0 latency> — investigating" in live
    assert "payments-1 latency> — silenced until <!date^" in live
    assert "svc19 and 5 more" in str(blocks) and "left unsaid: 1 called not a problem before" in str(blocks)
    assert block_problem(blocks) is None


def test_names_from_the_metrics_are_inert_and_an_overspent_budget_shows_its_raised_threshold() -> None:
    budgets = [ServiceBudget("<!channel>", 3, 1, 7 * 86400.0, 9.0), ServiceBudget("search", 1, 1, 7 * 86400.0, 4.0)]
    blocks = watch_status_blocks(_status(live=[_item(0, service="<!here>")], budgets=budgets))

    assert "<!channel>" not in str(blocks) and "<!here>" not in str(blocks)
    budget = _text(blocks, WatchBlockId.STATUS_BUDGET)
    assert "• &lt;!channel&gt;: 3 of 1 used — *over*: warned only at z ≥ 9 now" in budget
    assert "• search: 1 of 1 used\n" in budget + "\n"
