"""Tables fitted to the terminal: no word or id is cut at any width down to the longest word, what does not
fit is left out least useful first and named, and a wide terminal shows the table as Rich would."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from rich.text import Text

from bot.cli.tables import Col, fitted_table

COLUMNS = (Col("rank", drop=1), Col("label"), Col("kind", drop=2), Col("title and id"))
ROWS = [
    ["1", "strong (100%)", "runbook", Text("Error spike after a bad deploy\nrb-bad-deploy-error-spike")],
    [
        "2",
        "exact alert (100%)",
        "incident",
        Text("Payments release changed event field casing\ninc-2025-11-20-payments-deploy-breaks-orders-parsing"),
    ],
]
WORDS = {w for row in ROWS for cell in row for w in str(cell).split()} | {w for c in COLUMNS for w in c.header.split()}


def rendered(width: int) -> str:
    console = Console(width=width, record=True, color_system=None, force_terminal=False, file=io.StringIO())
    console.print(fitted_table(console, COLUMNS, ROWS, caption="a caption"))
    return console.export_text()


@pytest.mark.parametrize("width", [72, 80, 100, 140])
def test_every_word_and_id_stays_whole_and_the_table_fits(width: int) -> None:
    text = rendered(width)
    assert max(len(line) for line in text.splitlines()) <= width
    cells = {w for w in re.split(r"[\s│┃┏┓┗┛┡┩━─┳╇┴┬┼├┤└┘]+", text) if w}
    notes = {
        "a",
        "caption",
        "not",
        "shown",
        "at",
        "columns:",
        "rank,",
        "kind",
        "(a",
        "wider",
        "terminal",
        "or",
        "--json",
        "shows",
        "them)",
        str(width),
    }
    table_words = cells - notes
    assert table_words <= WORDS, sorted(table_words - WORDS)
    assert "inc-2025-11-20-payments-deploy-breaks-orders-parsing" in text


def test_narrow_terminals_leave_out_the_least_useful_columns_and_say_so() -> None:
    wide, narrow = rendered(140), rendered(72)
    assert "not shown" not in wide and "rank" in wide and "kind" in wide
    assert "not shown at 72 columns: rank, kind" in " ".join(narrow.split())
    header = next(line for line in narrow.splitlines() if "title" in line)
    assert "rank" not in header and "kind" not in header and "label" in header


def test_a_wide_terminal_gets_the_natural_widths() -> None:
    assert "│ 1    │ strong (100%)      │ runbook  │ Error spike after a bad deploy" in rendered(140)
