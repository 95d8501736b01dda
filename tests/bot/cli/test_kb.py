"""``andon kb search``: results ranked, each with a plain word and a percentage for how well it matches
(explained in --help), never a bare fused score."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.cli.kb import match_label
from knowledge.retrieval import BEST_FUSED
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
