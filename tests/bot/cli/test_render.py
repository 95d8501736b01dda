"""The terminal RCA of a bundled example (checkout bad deploy): compared with a golden copy (times,
durations and ids normalised), and checked for what must never reach a terminal: Slack mrkdwn markers,
drain placeholders, words cut in half, a hypothesis showing another's evidence, a fact said twice.

After an intended change of the output: ``UPDATE_GOLDEN=1 pytest tests/bot/cli/test_render.py``,
then read the diff of the golden file."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bot.cli.mrkdwn import mrkdwn_to_rich
from bot.cli.render import MAX_HYPOTHESES, render_report
from bot.report_view import own_evidence, shared_evidence
from bot.settings import Settings
from tests.support.example_run import alert, investigator

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).parent / "golden" / "checkout-bad-deploy.rca.txt"
WIDTH = 120
_BOX = re.compile(r"[─━│┃┏┓┗┛┡┩┠┨┯┷┳┻╇╈╋┼├┤┬┴└┘┌┐╭╮╯╰═║]")


def normalise(text: str) -> str:
    """What may change from run to run without the output being different: durations, clock times, ids."""
    text = re.sub(r"took \d+(?:\.\d+)? s", "took N s", text)
    text = re.sub(r"\b\d{1,2}:\d{2}(?::\d{2})?\b", "HH:MM", text)
    text = re.sub(r"\binc-[0-9a-f]{10}\b", "inc-" + "X" * 10, text)  # as long: the boxes stay aligned
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory, kb: Any) -> tuple[dict[str, Any], str]:
    """The example's report and its terminal rendering (no colour, 120 columns)."""
    from bot.settings import load_settings

    tmp = tmp_path_factory.mktemp("render")
    settings: Settings = load_settings(data_dir=tmp / "data")
    report = investigator(settings, tmp, kb=kb, approval_mode="propose_only").start(alert()).report
    assert report is not None
    console = Console(record=True, width=WIDTH, color_system=None, force_terminal=False, file=io.StringIO())
    render_report(console, report)
    return report, console.export_text()


def _collapsed(text: str) -> str:
    return " ".join(_BOX.sub(" ", text).split())


def _hypothesis_rows(text: str) -> list[str]:
    """Each ranked hypothesis' row of the table, box drawing removed and wrapped lines joined."""
    table = text.split("Ranked hypotheses", 1)[1].split("└", 1)[0].split("┡", 1)[1]
    return [_collapsed(block) for block in table.split("\n├")]


def test_the_terminal_rca_matches_the_golden_copy(example: tuple[dict[str, Any], str]) -> None:
    _, text = example
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(normalise(text))
    assert normalise(text) == GOLDEN.read_text(), (
        "the terminal RCA changed; if intended, regenerate with UPDATE_GOLDEN=1 and review the golden file's diff"
    )


def test_no_slack_markup_or_placeholder_reaches_the_terminal(example: tuple[dict[str, Any], str]) -> None:
    report, text = example
    assert "*Most likely root cause:*" in report["summary"], "the summary is Slack mrkdwn: the terminal converts it"
    assert "Most likely root cause:" in text
    assert not re.search(r"(?<![\w*])\*[^*\s][^*\n]*\*", text), "no literal *bold*"
    assert "`" not in text, "no literal backticks"
    assert not re.search(r"(?<!\w)_[^_\s][^_\n]*_(?!\w)", text), "no literal _italics_"
    assert not re.search(r"<\*>|<(?:NUM|IP|HEX|UUID)>", text), "log templates show a real line"
    assert "NullPointerException in PriceCalculator.total (cart=" in _collapsed(text)


def test_each_hypothesis_shows_its_own_evidence(example: tuple[dict[str, Any], str]) -> None:
    report, text = example
    hypotheses = report["hypotheses"][:MAX_HYPOTHESES]
    rows = _hypothesis_rows(text)
    assert len(rows) == len(hypotheses) >= 3
    shared = shared_evidence(hypotheses)

    def opening(item: dict[str, Any]) -> str:
        return " ".join(str(item["summary"]).lstrip("✓✗ ").split()[:5])

    first = opening(own_evidence(hypotheses[0], shared)[0])
    for index, (hypothesis, row) in enumerate(zip(hypotheses, rows, strict=True)):
        assert row.startswith(f"{index + 1} {hypothesis['service']}")
        own = own_evidence(hypothesis, shared)
        assert own and opening(own[0]) in row, (index, row)
        if index:
            assert first not in row, f"hypothesis {index + 1} shows hypothesis 1's evidence"


def test_the_deploy_is_said_once_in_the_summary(example: tuple[dict[str, Any], str]) -> None:
    _, text = example
    panel = _collapsed(text.split("RCA", 2)[-1])
    assert panel.count("deploy of checkout (v2.14.0)") == 1, panel


def test_no_word_is_cut_in_half(example: tuple[dict[str, Any], str]) -> None:
    """Every word on screen is a whole word of the report, the renderer or the summary template: a cut
    ("PriceCalcul…") or a fold of a long word would leave a fragment that is none of them."""
    report, text = example
    sources = (
        json.dumps(report, ensure_ascii=False)
        + (ROOT / "bot" / "cli" / "render.py").read_text()
        + (ROOT / "prompts" / "report.j2").read_text()
    )
    known = set(re.findall(r"[A-Za-z]{3,}", sources))
    fragments = sorted(set(re.findall(r"[A-Za-z]{3,}", text)) - known)
    assert not fragments, fragments


def test_mrkdwn_becomes_styles() -> None:
    text = mrkdwn_to_rich("*Runbook:* Error spike (`rb-bad-deploy`) on error_ratio\n_Note: *could not* read logs_")
    assert text.plain == "Runbook: Error spike (rb-bad-deploy) on error_ratio\nNote: could not read logs"
    styles = {text.plain[span.start : span.end]: str(span.style) for span in text.spans}
    assert styles["Runbook:"] == "bold" and styles["rb-bad-deploy"] == "cyan"
    assert styles["could not"] == "italic bold" and styles["Note: "] == "italic"
    assert mrkdwn_to_rich("[bold]not markup[/] 2*3*4").plain == "[bold]not markup[/] 2*3*4"
