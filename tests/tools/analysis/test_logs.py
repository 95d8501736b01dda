"""Log-template spikes: new error templates at the onset rank first; steady noise does not."""

from __future__ import annotations

from tools.analysis.logs import log_template_spikes
from tools.sources.base import LogLine


def test_new_error_template_is_reported_with_examples() -> None:
    lines = [LogLine(float(t), "checkout", f"INFO GET /cart/{t} 200 in {t % 90}ms") for t in range(0, 3600, 5)]
    lines += [LogLine(float(t), "checkout", f"ERROR NullPointerException in PriceCalculator cart={t:x}")
              for t in range(3000, 3600, 4)]
    lines.sort(key=lambda line: line.ts)
    spikes = log_template_spikes(lines, onset=3000.0, start=0.0, end=3600.0)
    assert spikes, "the new error template must be found"
    top = spikes[0]
    assert "NullPointerException" in top.template and top.new and top.error_like
    assert top.examples and "PriceCalculator" in top.examples[0]
    assert all("GET /cart" not in s.template for s in spikes), "a steady template is not a spike"


def test_no_lines_no_spikes() -> None:
    assert log_template_spikes([], onset=10.0, start=0.0, end=20.0) == []
