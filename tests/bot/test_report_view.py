"""What people read of a report: log lines instead of drain templates, cuts at word boundaries, no fact
twice, each hypothesis' own evidence, and past incidents shown only when they relate to the root cause —
over every bundled example alert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.report_view import (
    FALSE_ALARM,
    RELATED_MIN_SCORE,
    distinct_evidence,
    log_examples,
    own_evidence,
    readable,
    related_incidents,
    shared_evidence,
    shorten,
)
from bot.runtime import Investigator, fixture_sources
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "alerts").glob("*.json"))
SPIKES = [
    {
        "tool": "log_template_spikes",
        "data": [
            {
                "template": "ERROR POST /api/checkout <NUM>: NullPointerException in PriceCalculator.total <*>",
                "examples": [
                    "ERROR POST /api/checkout 500: NullPointerException in PriceCalculator.total (cart=2148ac62)"
                ],
            }
        ],
    }
]


def test_a_log_template_reads_as_a_line_it_matched() -> None:
    examples = log_examples(SPIKES)
    text = "checkout logs: 'ERROR POST /api/checkout <NUM>: NullPointerException in PriceCalculator.total <*>' (new)"
    assert readable(text, examples) == (
        "checkout logs: 'ERROR POST /api/checkout 500: NullPointerException in "
        "PriceCalculator.total (cart=2148ac62)' (new)"
    )
    # a template cut short by the tool is still recognised; an unknown one keeps no placeholder
    assert "cart=2148ac62" in readable("logs: 'ERROR POST /api/checkout <NUM>: NullPointer' (new)", examples)
    assert (
        readable("gateway: 'WARN upstream status=<NUM> <NUM> from <IP>'") == "gateway: 'WARN upstream status=… from …'"
    )


def test_shorten_cuts_at_a_word() -> None:
    text = "deploy of checkout (v2.14.0) 3 min before onset; the trouble began 3 min after it"
    assert shorten(text, 200) == text
    cut = shorten(text, 40)
    assert len(cut) <= 40 and cut.endswith("…") and text.startswith(cut[:-1]) and text[len(cut) - 1] == " "
    assert readable("logs: 'ERROR POST /api/checkout 500: NullPointerException in Pri'", log_examples(SPIKES)) == (
        "logs: 'ERROR POST /api/checkout 500: NullPointerException in…'"
    ), "a line cut mid-word is cut at a word"


def _item(call: str, summary: str, tool: str = "correlate_changes", supports: bool = True) -> dict[str, Any]:
    return {"call_id": call, "tool": tool, "summary": summary, "supports": supports}


def test_a_fact_a_check_restates_is_said_once() -> None:
    deploy = _item("c6", "deploy of checkout (v2.14.0) 3 min before onset")
    anomaly = _item("c1", "checkout anomalous: error_ratio ↑ 0.002876 → 0.3094 (z=61.6)", "rank_anomalies")
    cpu = _item("c1", "✓ CPU not the bottleneck: checkout cpu_usage_ratio: 0.42 → 0.43", "runbook_check")
    checked = _item(
        "c6", "✓ a deploy shortly before onset: deploy of checkout (v2.14.0) 3 min before onset", "runbook_check"
    )
    spiked = _item("c1", "✓ error ratio spiked: checkout error_ratio: 0.002876 → 0.3094 (z=61.6)", "runbook_check")
    assert distinct_evidence([deploy, anomaly, checked, spiked]) == [checked, spiked]
    assert distinct_evidence([deploy, anomaly, cpu]) == [deploy, anomaly, cpu], "another fact of the same call stays"


def test_each_hypothesis_shows_what_sets_it_apart() -> None:
    common = [_item("c1", "checkout anomalous"), _item("c6", "deploy of checkout")]
    first = {"evidence": [*common, _item("c6", "✓ a deploy shortly before onset", "runbook_check")]}
    second = {"evidence": [*common, _item("c2", "✗ pods in CrashLoopBackOff", "runbook_check", supports=False)]}
    shared = shared_evidence([first, second])
    assert shared == common
    assert [e["call_id"] for e in own_evidence(second, shared)] == ["c2"]
    assert shared_evidence([first]) == [], "one hypothesis shares nothing"


def test_a_past_incident_is_shown_only_when_related() -> None:
    root = {"service": "payments", "category": "memory_leak"}
    hits = [
        {"doc_id": "inc-gateway-logs", "services": ["gateway"], "category": "log_volume_explosion", "score": 0.15},
        {"doc_id": "inc-ledger-crash", "services": ["ledger", "payments"], "category": "crash_loop", "score": 0.14},
        {"doc_id": "inc-reco-leak", "services": ["recommendations"], "category": "memory_leak", "score": 0.12},
        {"doc_id": "inc-payments-leak", "services": ["payments"], "category": "memory_leak", "score": 0.115},
        {
            "doc_id": "inc-faint-leak",
            "services": ["payments"],
            "category": "memory_leak",
            "score": RELATED_MIN_SCORE - 0.01,
        },
        {
            "doc_id": "inc-faint-crash",
            "services": ["payments"],
            "category": "crash_loop",
            "score": RELATED_MIN_SCORE - 0.01,
        },
        {"doc_id": "inc-load-test", "services": ["payments"], "category": FALSE_ALARM, "score": 0.2},
    ]
    shown = related_incidents(hits, root)
    assert [(h["doc_id"], h["matched"]) for h in shown] == [
        ("inc-payments-leak", "same service and category"),
        ("inc-faint-leak", "same service and category"),
        ("inc-reco-leak", "same category"),
        ("inc-ledger-crash", "same service"),
    ]
    assert related_incidents(hits, {"service": None, "category": None}) == []
    false_alarm = related_incidents(hits, {"service": "payments", "category": FALSE_ALARM})
    assert [h["doc_id"] for h in false_alarm] == ["inc-load-test", "inc-ledger-crash", "inc-payments-leak"], (
        "a past false alarm is shown beside a false alarm"
    )


@pytest.mark.parametrize("alert", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_no_example_shows_an_unrelated_past_incident(alert: Path, settings: Settings, kb: Any) -> None:
    import json

    sources, judged_at = fixture_sources(alert.with_name(alert.stem + ".telemetry.yaml"))
    report = (
        Investigator(settings, sources, kb=kb, approval_mode="propose_only", clock=lambda: judged_at)
        .start(json.loads(alert.read_text()))
        .report
    )
    assert report is not None
    root = report["root_cause"]
    for hit in report["related_incidents"]:
        both = root["service"] in hit["services"] and root["category"] == hit["category"]
        assert both or root["service"] in hit["services"] or root["category"] == hit["category"], hit
        assert (both or hit["score"] >= RELATED_MIN_SCORE) and hit["matched"]
        assert hit["category"] != FALSE_ALARM or root["category"] == FALSE_ALARM, "a false alarm beside a fault"
    alike = [
        h for h in report["similar_incidents"] if root["service"] in h["services"] and root["category"] == h["category"]
    ]
    if alike:
        assert report["related_incidents"][0]["matched"] == "same service and category", (
            f"{alike[0]['doc_id']} is retrieved and matches both, yet another one is shown first"
        )
    shown = [line for line in report["summary"].splitlines() if "Similar past incident" in line]
    if report["related_incidents"]:
        best = report["related_incidents"][0]
        assert shown == [f"*Similar past incident:* {best['title']} (`{best['doc_id']}`) — {best['matched']}"]
    else:
        assert shown == []
