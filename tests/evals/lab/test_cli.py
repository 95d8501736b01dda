"""``andon lab`` and ``andon demo`` are registered and explain themselves; ``lab status`` works on a
lab that is not running."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from andon.main import app


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def test_lab_and_demo_are_commands(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and " lab " in result.output and " demo " in result.output
    lab = runner.invoke(app, ["lab", "--help"])
    for command in ("up", "down", "status", "inject", "heal", "faults"):
        assert command in lab.output
    demo = runner.invoke(app, ["demo", "--help"])
    assert "--fault" in demo.output and "--keep" in demo.output and "--json" in demo.output


def test_status_and_faults_without_a_running_lab(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANDON_DATA_DIR", str(tmp_path))
    status = runner.invoke(app, ["lab", "status", "--json"])
    assert status.exit_code == 0 and '"running": false' in status.output
    faults = runner.invoke(app, ["lab", "faults"])
    assert faults.exit_code == 0 and "pool_exhaustion" in faults.output
    refused = runner.invoke(app, ["lab", "inject", "bad_deploy"])
    assert refused.exit_code == 2 and "not up" in refused.output
    unknown = runner.invoke(app, ["demo", "--fault", "nope"])
    assert unknown.exit_code == 2 and "unknown fault" in unknown.output
