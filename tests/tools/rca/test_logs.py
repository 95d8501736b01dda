"""Log-template spikes: new error templates at the onset rank first; steady noise does not."""

from __future__ import annotations

from tools.rca.logs import log_template_spikes, mine_templates
from tools.sources.base import LogLine


def test_new_error_template_is_reported_with_examples() -> None:
    lines = [LogLine(float(t), "checkout", f"INFO GET /cart/{t} 200 in {t % 90}ms") for t in range(0, 3600, 5)]
    lines += [
        LogLine(float(t), "checkout", f"ERROR NullPointerException in PriceCalculator cart={t:x}")
        for t in range(3000, 3600, 4)
    ]
    lines.sort(key=lambda line: line.ts)
    spikes = log_template_spikes(lines, onset=3000.0, start=0.0, end=3600.0)
    assert spikes, "the new error template must be found"
    top = spikes[0]
    assert "NullPointerException" in top.template and top.new and top.error_like
    assert top.examples and "PriceCalculator" in top.examples[0]
    assert all("GET /cart" not in s.template for s in spikes), "a steady template is not a spike"


def test_secrets_are_redacted_before_numbers_are_masked() -> None:
    token = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
    lines = [LogLine(float(t), "api", f"ERROR slack post failed with {token}") for t in range(0, 100, 5)]
    templates = {template for _, template in mine_templates(lines)}
    assert templates and not any("AbCdEfGh" in t for t in templates), templates


def test_no_lines_no_spikes() -> None:
    assert log_template_spikes([], onset=10.0, start=0.0, end=20.0) == []


def test_lines_equal_once_masked_share_one_template_and_different_ones_do_not() -> None:
    lines = [LogLine(float(t), "api", f"WARN slow query took {t % 700}ms id={t * 7919:x}") for t in range(0, 600, 2)]
    lines += [LogLine(float(t), "api", f"ERROR payment {t:08x} declined by issuer") for t in range(1, 600, 2)]
    templates = {template for _, template in mine_templates(lines)}
    assert len(templates) == 2, templates
    assert any("declined by issuer" in t for t in templates)


def test_lines_logged_just_before_a_metric_onset_count_as_new() -> None:
    """A release that crashes on start-up logs its fatal error at once; the metrics date the onset up to a
    rate window later. Those lines belong to the incident, not to the history before it."""
    lines = [LogLine(float(t), "inventory", f"INFO GET /stock/{t} 200 in {t % 40}ms") for t in range(0, 3000, 5)]
    lines += [
        LogLine(t, "inventory", "CRITICAL fatal: error during startup: KeyError 'LEDGER_URL'; exited with code 1")
        for t in (2972.0, 2974.0, 2978.0, 2990.0, 3004.0)
    ]
    lines.sort(key=lambda line: line.ts)
    spikes = log_template_spikes(lines, onset=3000.0, start=0.0, end=3010.0)
    assert spikes and "fatal" in spikes[0].template and spikes[0].new
