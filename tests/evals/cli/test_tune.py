"""``andon tune``: fits on scenarios, prints cross-validated figures beside the training ones, and writes
the file the engine then loads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = [
    "a-stripe-outage-checkout",
    "c-transcode-old-access-key-deactivated",
    "b-search-api-full-gc-pauses",
    "a-harmless-deploy-question",
]


def andon(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "andon", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "ANDON_DATA_DIR": str(data_dir), "HOME": str(data_dir), "COLUMNS": "200"},
        timeout=600,
    )


def test_tune_reports_cross_validated_figures_and_the_engine_loads_its_file(tmp_path: Path) -> None:
    paths = [f"evals/scenarios/{name}" for name in SCENARIOS]
    result = andon(
        "tune",
        *paths,
        "--folds",
        "2",
        "--passes",
        "1",
        "--no-store",
        "--json",
        str(tmp_path / "f.json"),
        data_dir=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "cross-validated" in result.stdout and "training" in result.stdout
    figures = json.loads((tmp_path / "f.json").read_text())
    assert figures["cases"] == 4 and len(figures["folds_detail"]) == 2
    assert 0.0 <= figures["cv_held_out"]["top1"] <= 1.0
    written = json.loads((tmp_path / "rca-params.json").read_text())
    assert written["figures"]["cv_held_out"] == figures["cv_held_out"]
    listed = andon("tune", "--list", data_dir=tmp_path)
    assert listed.returncode == 0 and "link_credit" in listed.stdout
    for name, value in written["params"].items():
        assert name in listed.stdout and str(value) in listed.stdout, (name, value)
