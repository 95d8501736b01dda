"""Terminal tables that fit the terminal without cutting a word: each column is at least as wide as its
longest word (ids, flag and service names included), text wraps only between words, and when even that
does not fit, the least useful columns are left out — and the caption says which.

Rich alone shrinks the widest columns past their longest word and folds ids in two (``rb-log-volume-explos`` /
``ion``) or cuts them (``invento…``); :func:`fitted_table` chooses the widths itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

__all__ = ["Col", "fitted_table"]

_PADDING = 2
"""A cell's padding, left and right, in Rich's default table style."""


@dataclass(frozen=True)
class Col:
    header: str
    drop: int | None = None
    """When the terminal is too narrow, columns with a ``drop`` rank are left out, lowest first; None: always shown."""
    justify: Any = "left"
    style: str | None = None


def _widths(console: Console, cells: Sequence[RenderableType], header: str) -> tuple[int, int]:
    """(narrowest without cutting a word, widest useful) of one column's content, padding excluded."""
    options = console.options
    least, most = max((len(word) for word in header.split()), default=0), len(header)
    for cell in cells:
        measured = Measurement.get(console, options, cell)
        least, most = max(least, measured.minimum), max(most, measured.maximum)
    return least, most


SHORT = 12
"""A column that needs at most this many more characters to stay on one line (a date and time, a label) gets
them before the long text columns do."""


def _share(least: list[int], most: list[int], keep: list[tuple[int, ...]], room: int) -> list[int]:
    """Each column its narrowest width, then what is left: first to the columns a few characters short of one
    line, then in ``keep`` order (the ones never dropped first); among equals, the one that needs least first."""
    widths = list(least)
    left = room - sum(least)
    for index in sorted(range(len(least)), key=lambda i: (most[i] - least[i] > SHORT, keep[i], most[i] - least[i])):
        give = min(most[index] - least[index], left)
        widths[index] += give
        left -= give
    return widths


def fitted_table(
    console: Console,
    columns: Sequence[Col],
    rows: Sequence[Sequence[RenderableType]],
    caption: str | Text | None = None,
    **table_options: Any,
) -> Table:
    """A table of ``rows`` for ``console``'s width. Columns that do not fit are left out (lowest ``drop``
    first) and named in the caption; the rest get widths no narrower than their longest word."""
    shown = list(range(len(columns)))
    dropped: list[str] = []
    measured = [_widths(console, [row[i] for row in rows], c.header) for i, c in enumerate(columns)]

    def room() -> int:  # the console's width less the borders and the cells' padding
        return console.width - (len(shown) + 1) - _PADDING * len(shown)

    while sum(measured[i][0] for i in shown) > room():
        droppable = [i for i in shown if columns[i].drop is not None]
        if not droppable:
            break  # narrower than its longest words: Rich folds them, nothing else can be done
        worst = min(droppable, key=lambda i: columns[i].drop or 0)
        shown.remove(worst)
        dropped.append(columns[worst].header)
    fixed: list[int | None] = [None] * len(shown)
    if sum(measured[i][1] for i in shown) > room() and sum(measured[i][0] for i in shown) <= room():
        keep: list[tuple[int, ...]] = [(0,) if columns[i].drop is None else (1, -(columns[i].drop or 0)) for i in shown]
        fixed = list(_share([measured[i][0] for i in shown], [measured[i][1] for i in shown], keep, room()))
    if dropped:
        note = Text(
            f"not shown at {console.width} columns: {', '.join(dropped)} (a wider terminal or --json shows them)",
            style="dim",
        )
        caption = (
            note
            if caption is None
            else Text.assemble(caption if isinstance(caption, Text) else Text(caption), "\n", note)
        )
    table = Table(caption=caption, caption_justify="left", **table_options)
    for index, width in zip(shown, fixed, strict=True):
        column = columns[index]
        table.add_column(column.header, justify=column.justify, style=column.style, width=width, overflow="fold")
    for row in rows:
        table.add_row(*(row[i] for i in shown))
    return table
