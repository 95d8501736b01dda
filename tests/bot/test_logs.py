"""The server's log: JSON lines or text at the configured level, secrets redacted, tracebacks included."""

from __future__ import annotations

import json
import logging

import pytest

from bot.logs import configure_logging
from bot.settings import SettingsError, load_settings

TOKEN = "xoxb-123456789012-123456789012-abcdefghijklmnopqrstuvwx"


PROBE = "test_logs_probe"
"""A logger of the test's own: no other test or library sets its level."""


@pytest.fixture(autouse=True)
def restore_logging() -> object:
    """Earlier tests may leave logging globally disabled below some level; these tests start from none."""
    root = logging.getLogger()
    handlers, level, disabled = root.handlers[:], root.level, logging.root.manager.disable
    logging.disable(logging.NOTSET)
    yield None
    root.handlers[:], root.level = handlers, level
    logging.disable(disabled)


def test_json_lines_carry_level_logger_message_and_traceback_with_secrets_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json")
    log = logging.getLogger(PROBE)
    log.debug("not shown")
    log.info("posting with %s", TOKEN)
    try:
        raise RuntimeError(f"Slack refused {TOKEN}")
    except RuntimeError:
        log.exception("post failed")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(e["level"], e["logger"]) for e in lines] == [("INFO", PROBE), ("ERROR", PROBE)]
    assert "xoxb-" not in json.dumps(lines), lines
    assert "RuntimeError" in lines[1]["exception"] and lines[0]["time"].endswith("+00:00")


def test_text_lines_at_warning_level(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("WARNING", "text")
    logging.getLogger(PROBE).info("quiet")
    logging.getLogger(PROBE).warning("loud %s", TOKEN)
    err = capsys.readouterr().err
    assert "quiet" not in err and f"WARNING {PROBE}: loud" in err and "xoxb-" not in err


def test_log_settings_are_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDON_LOG_FORMAT", "json")
    monkeypatch.setenv("ANDON_LOG_LEVEL", "debug")
    settings = load_settings()
    assert (settings.log_format, settings.log_level) == ("json", "DEBUG")
    monkeypatch.setenv("ANDON_LOG_FORMAT", "xml")
    with pytest.raises(SettingsError, match="LOG_FORMAT"):
        load_settings()
