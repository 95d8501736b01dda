"""The scenario suite is well-formed: enough scenarios and categories, every one loads and generates."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from evals.runner import default_suite
from evals.scenario import ScenarioError, find_scenarios, load_scenario
from tools.sources.replay import ReplayTelemetry


def test_suite_size_and_breadth() -> None:
    scenarios = [load_scenario(p) for p in find_scenarios([default_suite()])]
    assert len(scenarios) >= 60
    categories = Counter(s.expected.category for s in scenarios)
    assert len(categories) >= 20
    difficulties = Counter(s.tags.difficulty for s in scenarios)
    assert set(difficulties) == {"easy", "medium", "hard"}
    assert categories["no_fault"] >= 3, "false alarms are part of the suite"
    assert sum(1 for s in scenarios if s.trigger.slack) >= 5


@pytest.mark.parametrize("path", find_scenarios([default_suite()]), ids=lambda p: p.name)
def test_every_scenario_loads_and_generates(path: Path) -> None:
    scenario = load_scenario(path)
    telemetry = ReplayTelemetry.from_spec(scenario.telemetry, scenario.reference, path, scenario.id)
    assert telemetry.series, "a scenario without metrics cannot be investigated"
    assert scenario.trigger_payload()


def test_a_broken_scenario_names_the_file_and_problem(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "scenario.yaml").write_text(
        "title: x\ntrigger: {time: 2026-01-01T00:00:00Z}\nexpected: {service: a, category: nonsense}\n"
    )
    with pytest.raises(ScenarioError, match="broken") as info:
        load_scenario(folder)
    assert "slack, alert, alertmanager" in str(info.value) or "nonsense" in str(info.value)
