"""``andon eval --check``: scenarios load and generate without an investigation; problems are named."""

from __future__ import annotations

from pathlib import Path

import yaml

from evals.check import check_scenarios

GOOD = {
    "title": "t",
    "trigger": {"time": "2026-03-10T10:00:00Z", "alert": {"alertname": "A", "service": "api"}},
    "system": {"services": {"api": ["db"]}},
    "telemetry": {"metrics": [{"service": "api", "metric": "error_ratio", "baseline": 0.01}]},
    "expected": {"service": "db", "category": "slow_query", "actions": ["scale_service:api(up)"]},
}


def _write(root: Path, name: str, data: dict[str, object]) -> None:
    (root / name).mkdir()
    (root / name / "scenario.yaml").write_text(yaml.safe_dump(data))


def test_good_and_broken_scenarios_are_told_apart(tmp_path: Path) -> None:
    _write(tmp_path, "good", GOOD)
    _write(tmp_path, "ghost", {**GOOD, "expected": {**GOOD["expected"], "service": "nobody"}})  # type: ignore[dict-item]
    _write(
        tmp_path,
        "bad-effect",
        {**GOOD, "telemetry": {"metrics": [{"service": "api", "metric": "m", "effect": {"kind": "wobble"}}]}},
    )
    _write(tmp_path, "bad-action", {**GOOD, "expected": {**GOOD["expected"], "actions": ["nuke"]}})  # type: ignore[dict-item]
    results = {r.id: r for r in check_scenarios([tmp_path])}
    assert results["good"].ok and "1 series" in results["good"].facts
    assert "nobody" in results["ghost"].problems[0]
    assert "wobble" in results["bad-effect"].problems[0]
    assert "unknown tool 'nuke'" in results["bad-action"].problems[0]
