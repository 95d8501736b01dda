"""Check scenarios without investigating them: each loads, its telemetry generates, and what it expects
names things that exist. For scenario authors (``andon eval --check``), and for suites written blind."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from evals.actions import parse_pattern
from evals.rcaeval import is_case, load_case
from evals.scenario import ScenarioError, find_scenarios, load_scenario
from tools.sources.replay import ReplayTelemetry

__all__ = ["ScenarioCheck", "check_scenarios"]


@dataclass
class ScenarioCheck:
    id: str
    problems: list[str] = field(default_factory=list)
    facts: str = ""
    """What the telemetry holds (series, points, log lines, changes), when it generated."""

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_one(folder: Path) -> ScenarioCheck:
    if is_case(folder):
        case = load_case(folder)
        points = sum(len(s.times) for s in case.series)
        return ScenarioCheck(case.id, facts=f"RCAEval case: {len(case.series)} series, {points} points")
    result = ScenarioCheck(folder.name)
    try:
        scenario = load_scenario(folder)
    except ScenarioError as exc:
        result.problems.append(str(exc))
        return result
    try:
        telemetry = ReplayTelemetry.from_spec(
            scenario.telemetry, scenario.reference, Path(scenario.path), seed_key=scenario.id
        )
    except (ValueError, KeyError, TypeError, OSError) as exc:
        result.problems.append(f"telemetry: {type(exc).__name__}: {exc}")
        return result
    known = set(scenario.topology) | {d for deps in scenario.topology.values() for d in deps}
    known |= {s.service for s in telemetry.series} | {line.service for line in telemetry.log_lines}
    known |= {c.service for c in telemetry.change_list} | {p.service for p in telemetry.pod_list}
    if scenario.expected.service not in known:
        result.problems.append(
            f"expected.service {scenario.expected.service!r} appears nowhere in the system, "
            "metrics, logs, changes or pods"
        )
    for pattern in scenario.expected.actions + scenario.expected.forbidden:
        try:
            parse_pattern(pattern)
        except ValueError as exc:
            result.problems.append(str(exc))
    points = sum(len(s.times) for s in telemetry.series)
    result.facts = (
        f"{len(telemetry.series)} series, {points} points, {len(telemetry.log_lines)} log lines, "
        f"{len(telemetry.change_list)} changes, {len(telemetry.pod_list)} pods, "
        f"{len(telemetry.event_list)} events"
    )
    return result


def check_scenarios(paths: list[Path]) -> list[ScenarioCheck]:
    """One check per scenario or RCAEval case under ``paths``; a broken one is reported, never raised."""
    out = []
    for folder in find_scenarios(paths):
        try:
            out.append(_check_one(folder))
        except Exception as exc:  # a case file that cannot be read is a finding, not a crash
            out.append(ScenarioCheck(folder.name, [f"{type(exc).__name__}: {exc}"]))
    return out
