"""CLI plumbing: what a command builds at start-up is frozen out of later garbage collections; an error ends a
command as one line."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from andon.main import app
from bot.cli.common import startup


def test_startup_pauses_the_collector_and_freezes_what_it_built() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    try:
        with startup():
            assert not gc.isenabled()
            kept = [{"n": i} for i in range(1000)]
        assert gc.isenabled() and gc.get_freeze_count() >= frozen + len(kept)
        with pytest.raises(RuntimeError), startup():  # a command that fails on the way still gets it back on
            raise RuntimeError("boom")
        assert gc.isenabled()
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        (
            "ANDON_TOPOLOGY",
            "checkout:payments",
            "ANDON_TOPOLOGY: not valid JSON; expected a JSON object of service -> "
            'dependencies, e.g. {"checkout": ["payments", "inventory"]}',
        ),
        ("ANDON_INCIDENT_CHANNELS", '["C0123"', "ANDON_INCIDENT_CHANNELS: not a JSON list"),
        ("ANDON_REASONER", "gpt", "ANDON_REASONER: Input should be 'rules' or 'llm'"),
    ],
)
def test_a_settings_error_is_one_unwrapped_line(tmp_path: Path, variable: str, value: str, named: str) -> None:
    """However narrow the terminal, the error is one line, and brackets in it are not eaten as markup."""
    env = {
        "ANDON_DATA_DIR": str(tmp_path),
        "ANDON_CONFIG_FILE": str(tmp_path / "none.yaml"),
        "COLUMNS": "60",
        variable: value,
    }
    result = CliRunner().invoke(app, ["incident", "list"], env=env)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: invalid settings: "), result.stderr
    assert named in result.stderr
