"""PNG drawings of evidence charts, light and legible at Slack's preview size (half of 960 × 440 px still
reads), and the eval report's accuracy bars.

matplotlib draws them through its Agg backend, without pyplot (no global figure state, no GUI). It is
imported on the first drawing, never at import time; its own fonts (DejaVu Sans) are in the wheel, so
nothing is fetched. One lock serialises drawing: matplotlib is not thread-safe, and a chart takes a tenth
of a second."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from types import SimpleNamespace
from typing import Any

from bot.charts.model import Chart, format_value

__all__ = ["render_png", "accuracy_png", "COLORS", "WIDTH_PX", "HEIGHT_PX"]

WIDTH_PX, HEIGHT_PX, DPI = 960, 440, 160
COLORS = {
    "root cause": "#1f5fa8",
    "alerting service": "#7b3fa0",
    "expected root cause": "#2e7d32",
    "Andon's choice": "#1f5fa8",
    "runner-up": "#7b3fa0",
    "onset": "#d62728",
    "change": "#e08a00",
    "band": "#9ecae1",
    "median": "#6b8fb3",
    "grid": "#e6e6e6",
    "text": "#222222",
    "muted": "#666666",
}
"""One colour per role, and for what every chart has; the eval report's browser test looks for them."""
_TICK_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
_lock = threading.Lock()


@cache
def _matplotlib() -> SimpleNamespace:
    """The few matplotlib classes the charts use, imported once (under the drawing lock). CPython 3.11 can
    fail an ``ast.parse`` that runs while another thread parses (gh-106905; matplotlib parses its default
    colour cycle on import, LangChain its nodes' source): that transient error gets one more try."""
    for attempt in (1, 2):
        try:
            from matplotlib import style
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
            from matplotlib.ticker import FuncFormatter, MaxNLocator
        except SystemError:
            if attempt == 2:
                raise
            continue
        return SimpleNamespace(
            Figure=Figure,
            FigureCanvasAgg=FigureCanvasAgg,
            FuncFormatter=FuncFormatter,
            MaxNLocator=MaxNLocator,
            style=style,
        )
    raise AssertionError("unreachable")


@contextmanager
def _drawing() -> Iterator[None]:
    """The drawing lock, and matplotlib's default style while drawing: another library in the process may
    have changed the global one (rcaeval applies fivethirtyeight on import); a chart must look the same."""
    with _lock, _matplotlib().style.context("default"):
        yield


def _figure(width_px: int, height_px: int) -> Any:
    mpl = _matplotlib()
    figure = mpl.Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, facecolor="white")
    mpl.FigureCanvasAgg(figure)
    return figure


def _png(figure: Any) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return out.getvalue()


def _time_ticks(start: float, end: float, most: int = 6) -> tuple[list[float], list[str]]:
    """Round clock times across the window (UTC), at most ``most`` of them."""
    span = max(end - start, 1.0)
    step = next((s for s in _TICK_STEPS if span / s <= most), _TICK_STEPS[-1])
    first = (int(start) // step + 1) * step
    ticks = [float(t) for t in range(first, int(end) + 1, step)]
    shape = "%d %b %H:%M" if span > 86400 else "%H:%M"
    return ticks, [time.strftime(shape, time.gmtime(t)) for t in ticks]


def _style(axes: Any) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color("#bbbbbb")
    axes.tick_params(labelsize=8, colors=COLORS["muted"], length=3)
    axes.set_axisbelow(True)


def render_png(chart: Chart, width_px: int = WIDTH_PX, height_px: int = HEIGHT_PX) -> bytes:
    """``chart`` as a PNG: its series over the window, the baseline band (median ± robust spread of the points
    before the onset) shaded, the onset as a red dashed line, changes as labelled dotted lines."""
    with _drawing():
        figure = _figure(width_px, height_px)
        axes = figure.add_axes((0.1, 0.2, 0.87, 0.63))
        _style(axes)
        axes.grid(axis="y", color=COLORS["grid"], linewidth=0.8)
        colour = COLORS.get(chart.role.split(" (")[0], COLORS["root cause"])
        band = chart.baseline()
        if band is not None:
            median, spread = band
            axes.axhspan(
                median - spread,
                median + spread,
                color=COLORS["band"],
                alpha=0.45,
                linewidth=0,
                label="normal range (median ± robust spread)",
            )
            axes.axhline(median, color=COLORS["median"], linewidth=0.8, linestyle=(0, (2, 2)))
        axes.plot(chart.times, chart.values, color=colour, linewidth=1.8, solid_joinstyle="round", label="series")
        axes.set_xlim(chart.start, chart.end)
        low, high = min(chart.values), max(chart.values)
        if band is not None:
            low, high = min(low, band[0] - band[1]), max(high, band[0] + band[1])
        pad = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
        axes.set_ylim(low - pad, high + pad * 2.6)  # room above the series for the labels
        on_top = axes.get_xaxis_transform()
        if chart.onset is not None and chart.start <= chart.onset <= chart.end:
            axes.axvline(chart.onset, color=COLORS["onset"], linewidth=1.4, linestyle=(0, (5, 3)), label="onset")
            late = chart.onset > chart.start + 0.8 * (chart.end - chart.start)  # label on the side with room
            axes.text(
                chart.onset,
                0.98,
                f" onset {time.strftime('%H:%M', time.gmtime(chart.onset))} UTC ",
                transform=on_top,
                color=COLORS["onset"],
                fontsize=8,
                va="top",
                ha="right" if late else "left",
                fontweight="bold",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.85},
            )
        for index, marker in enumerate(chart.markers):
            axes.axvline(
                marker.ts,
                color=COLORS["change"],
                linewidth=1.4,
                linestyle=(0, (1.5, 1.5)),
                label="change" if index == 0 else None,
            )
            axes.text(
                marker.ts,
                0.86 - 0.1 * (index % 2),
                marker.label + " ",
                transform=on_top,
                color="#8a5300",
                fontsize=7,
                va="top",
                ha="right",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.85},
            )
        ticks, labels = _time_ticks(chart.start, chart.end)
        axes.set_xticks(ticks, labels)
        axes.yaxis.set_major_formatter(_matplotlib().FuncFormatter(lambda value, _: format_value(chart.metric, value)))
        axes.yaxis.set_major_locator(_matplotlib().MaxNLocator(nbins=4))
        title_pt = min(11.0, 11.0 * 60 / max(len(chart.title), 1) * width_px / WIDTH_PX)  # a long title still fits
        figure.text(0.1, 0.955, chart.title, fontsize=title_pt, fontweight="bold", color=COLORS["text"], va="top")
        figure.text(0.1, 0.885, chart.caption(), fontsize=8.5, color=colour, va="top")
        figure.legend(
            loc="lower left",
            bbox_to_anchor=(0.09, 0.0),
            fontsize=7.5,
            frameon=False,
            ncol=4,
            handlelength=1.8,
            columnspacing=1.4,
        )
        return _png(figure)


def accuracy_png(per_category: dict[str, dict[str, Any]], width_px: int = WIDTH_PX) -> bytes:
    """The eval suite's accuracy per category (top-1 and category), one pair of bars a category, worst on top."""
    rows: Sequence[tuple[str, float, float, int]] = sorted(
        (
            (
                name.replace("_", " "),
                entry["top1"] / max(entry["scenarios"], 1),
                entry["category"] / max(entry["scenarios"], 1),
                int(entry["scenarios"]),
            )
            for name, entry in per_category.items()
        ),
        key=lambda r: (r[1] + r[2], r[0]),
        reverse=True,
    )
    header_in, row_in, footer_in = 0.62, 0.24, 0.32
    height_px = int(DPI * (header_in + footer_in + row_in * max(len(rows), 1)))
    inch = DPI / height_px  # one inch, in figure coordinates
    with _drawing():
        figure = _figure(width_px, height_px)
        left = 0.3
        axes = figure.add_axes((left, footer_in * inch, 0.64, 1 - (header_in + footer_in) * inch))
        _style(axes)
        axes.grid(axis="x", color=COLORS["grid"], linewidth=0.8)
        places = list(range(len(rows)))
        axes.barh(
            [p + 0.2 for p in places],
            [r[1] for r in rows],
            height=0.38,
            color=COLORS["root cause"],
            label="top-1 (right service)",
        )
        axes.barh(
            [p - 0.2 for p in places],
            [r[2] for r in rows],
            height=0.38,
            color=COLORS["band"],
            label="category (right cause)",
        )
        axes.set_yticks(places, [f"{r[0]} ({r[3]})" for r in rows], fontsize=8)
        axes.set_xlim(0, 1.0)
        axes.set_ylim(-0.6, len(rows) - 0.4)
        axes.xaxis.set_major_formatter(_matplotlib().FuncFormatter(lambda value, _: f"{value * 100:.0f}%"))
        figure.text(
            0.02,
            1 - 0.1 * inch,
            "Accuracy per category (number of scenarios)",
            fontsize=11,
            fontweight="bold",
            color=COLORS["text"],
            va="top",
        )
        figure.legend(loc="upper left", bbox_to_anchor=(0.015, 1 - 0.34 * inch), fontsize=7.5, frameon=False, ncol=2)
        return _png(figure)
