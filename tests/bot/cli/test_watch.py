"""``andon watch``: one scan of a telemetry fixture as JSON, a dismissal kept in the store and learned by the
knowledge base, Ctrl-C ends the loop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.watch import _loop
from bot.store import open_store
from bot.watch import Scanner, ScanReport, WatchState
from bot.watch.learning import dismissal_doc_id
from tests.bot.cli.conftest import Andon

EXAMPLES = Path(__file__).parents[3] / "examples" / "alerts"


def test_once_json_prints_the_warnings_of_one_scan(andon: Andon, tmp_path: Path) -> None:
    result = andon(
        "watch",
        "--once",
        "--json",
        "--telemetry",
        str(EXAMPLES / "checkout-bad-deploy.telemetry.yaml"),
        data_dir=tmp_path / "data",
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["blind"] is None and report["series"] > 0
    assert ("checkout", "errors", True) in {(w["service"], w["family"], w["new"]) for w in report["warnings"]}
    assert all(w["text"].startswith("Early warning — ") for w in report["warnings"])


def test_dismiss_is_kept_in_the_store(andon: Andon, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = andon("watch", "--dismiss", "payments:latency_p99_seconds", "--by", "alice", data_dir=data_dir)

    assert result.exit_code == 0, result.output
    store = open_store(None, data_dir)
    try:
        [dismissal] = WatchState(store.db).dismissals().values()
    finally:
        store.db.close()
    assert (dismissal.service, dismissal.signal, dismissal.by) == ("payments", "latency_p99_seconds", "alice")
    assert f"Learned as past incident {dismissal_doc_id('payments', 'latency_p99_seconds')} (no fault)" in result.stdout
    assert andon("watch", "--dismiss", "payments", data_dir=data_dir).exit_code == 2  # no signal named


def test_ctrl_c_ends_the_loop_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    class Interrupted(Scanner):
        def __init__(self) -> None:
            pass

        def scan(self, now: float) -> ScanReport:
            raise KeyboardInterrupt

    _loop(Interrupted(), 30.0, as_json=False)

    assert "Watch stopped." in capsys.readouterr().out
