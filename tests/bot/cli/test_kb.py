"""``andon kb search``: results ranked, each with a plain word and a percentage for how well it matches
(explained in --help), never a bare fused score; at 80 columns no id is cut (a golden copy)."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any

from rich.console import Console

from bot.cli.kb import match_label, results_table
from knowledge.retrieval import BEST_FUSED, Hit
from tests.bot.cli.conftest import Andon, json_out


def test_match_labels() -> None:
    assert match_label(BEST_FUSED, []) == "strong (100%)"
    assert match_label(BEST_FUSED * 0.75, []) == "good (75%)"
    assert match_label(BEST_FUSED * 0.55, []) == "fair (55%)"
    assert match_label(BEST_FUSED * 0.2, []) == "weak (20%)"
    assert match_label(1.14, ["alert name matches"]) == "exact alert (100%)"


def test_kb_search_ranks_and_says_how_well_each_matches(andon: Andon, kb: Any) -> None:
    data_dir = Path(kb.client.get_settings().persist_directory).parent
    query = "checkout p99 latency high, db pool waiting"
    result = andon("kb", "search", query, data_dir=data_dir)
    assert result.exit_code == 0
    assert "rank" in result.stdout and "match" in result.stdout
    assert re.search(r"│ 1\s+│ (strong|good|fair|weak|exact alert) \(\d+%\)", result.stdout), result.stdout
    assert not re.search(r"\b0\.\d{3}\b", result.stdout), "no bare fused scores"
    hits = json_out(andon("kb", "search", query, "--json", data_dir=data_dir))
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    assert all(0.0 <= h["relevance"] <= 1.0 and "score" in h for h in hits)
    helped = andon("kb", "search", "--help", data_dir=data_dir)
    assert "100% when both the meaning (vector) and the keyword (BM25) search rank it first" in helped.stdout


GOLDEN_80 = Path(__file__).parent / "golden" / "kb-search.80.txt"
HITS = [
    Hit(
        doc_id="rb-bad-deploy-error-spike",
        kind="runbook",
        title="Error spike after a bad deploy",
        category="bad_deploy",
        score=1.14,
        services=[],
        alerts=[],
        snippet="",
        why=["alert name matches"],
    ),
    Hit(
        doc_id="inc-2025-11-20-payments-deploy-breaks-orders-parsing",
        kind="incident",
        title="Payments release changed event field casing; orders paged for failed status updates",
        category="bad_deploy",
        score=BEST_FUSED * 0.91,
        services=[],
        alerts=[],
        snippet="",
    ),
    Hit(
        doc_id="rb-log-volume-explosion",
        kind="runbook",
        title="Log volume explosion",
        category="log_volume_explosion",
        score=BEST_FUSED * 0.52,
        services=[],
        alerts=[],
        snippet="",
    ),
]


def _at_80(hits: list[Hit]) -> str:
    console = Console(width=80, record=True, color_system=None, force_terminal=False, file=io.StringIO())
    console.print(results_table(console, hits))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


def test_kb_search_at_80_columns_matches_the_golden_copy() -> None:
    """At 80 columns the longest id stays on one line: the rank and category columns make room, and the
    caption says so. Regenerate with UPDATE_GOLDEN=1 after an intended change, and read the diff."""
    text = _at_80(HITS)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN_80.write_text(text)
    assert text == GOLDEN_80.read_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    for hit in HITS:
        assert re.search(rf"│ {re.escape(hit.doc_id)}\s*│", text), hit.doc_id


def test_kb_search_at_80_columns_cuts_no_id(kb: Any) -> None:
    """The real command on the bundled knowledge: every result's id on a line of its own, whole."""
    from typer.testing import CliRunner

    from andon.main import app

    data_dir = Path(kb.client.get_settings().persist_directory).parent
    env = {"ANDON_DATA_DIR": str(data_dir), "COLUMNS": "80"}
    for query in ("checkout error rate after deploy", "payments past incident"):
        text = CliRunner().invoke(app, ["kb", "search", query], env=env).stdout
        ids = [
            h["doc_id"] for h in json.loads(CliRunner().invoke(app, ["kb", "search", query, "--json"], env=env).stdout)
        ]
        assert ids and max(len(line) for line in text.splitlines()) <= 80, text
        for doc_id in ids:
            assert re.search(rf"│ {re.escape(doc_id)}\s*│", text), (doc_id, text)
