"""CLI fixtures: a data dir whose store holds one investigated incident (the checkout bad deploy, paused
for approval, then approved), and helpers to run ``andon`` commands in-process with typer's CliRunner."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from langgraph.checkpoint.memory import InMemorySaver
from typer.testing import CliRunner

from andon.main import app
from bot.settings import load_settings
from bot.store import open_store
from tests.support.example_run import alert, approver_policy, investigator

Andon = Callable[..., Result]


@pytest.fixture
def andon(tmp_path: Path) -> Andon:
    """``andon(*args, data_dir=…, columns=250)`` runs a command in-process against that data dir, in a terminal
    that many columns wide."""
    runner = CliRunner()

    def run(*args: str, data_dir: Path, columns: int = 250) -> Result:
        return runner.invoke(
            app, list(args), env={"ANDON_DATA_DIR": str(data_dir), "COLUMNS": str(columns)}, catch_exceptions=False
        )

    return run


@pytest.fixture
def investigated(tmp_path: Path) -> dict[str, Any]:
    """One incident investigated, proposed, approved and executed, in ``tmp_path/data``."""
    data_dir = tmp_path / "data"
    settings = load_settings(data_dir=data_dir)
    store = open_store(None, data_dir)
    inv = investigator(settings, tmp_path, store=store, policy=approver_policy(), checkpointer=InMemorySaver())
    outcome = inv.start(alert())
    [proposal] = outcome.state["proposals"]
    decision = {
        "proposal_id": proposal["id"],
        "hash": proposal["hash"],
        "decision": "approve",
        "by": "UAPPROVER1",
        "at": time.time(),
    }
    store.record_decision(outcome.incident_id, proposal["id"], proposal["hash"], "approve", "UAPPROVER1")
    final = inv.resume(outcome.incident_id, [decision])
    store.db.close()
    return {"data_dir": data_dir, "incident_id": outcome.incident_id, "proposal": proposal, "report": final.report}


def json_out(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
