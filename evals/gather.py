"""Labelled cases for ``andon tune``: each scenario investigated once through the real graph, its evidence
kept with its expected answer; and incidents from the store that a person resolved or judged."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.settings import Settings
from evals.rcaeval import is_case, load_case
from evals.runner import EvalOptions, _investigate, _Knowledge, _settings
from evals.scenario import find_scenarios, load_scenario
from tools.rca.diagnose import Context
from tools.rca.tuning import Case
from tools.sources import Sources
from tools.sources.replay import ReplayTelemetry, load_replay_sources
from tools.sources.timespec import parse_duration, to_datetime

__all__ = ["scenario_cases", "incident_cases", "context_of"]


def context_of(report: dict[str, Any], topology: dict[str, list[str]]) -> Context:
    """What the diagnosis knew besides the evidence, as the report kept it."""
    incident = report.get("incident") or {}
    return Context(
        alerted=list(incident.get("services") or []),
        retrieved=list(report.get("retrieved_runbooks") or []),
        similar=list(report.get("similar_incidents") or []),
        alertname=incident.get("alertname"),
        topology=topology,
    )


def scenario_cases(paths: list[Path], base: Settings, progress: Callable[[str], None] | None = None) -> list[Case]:
    """One case per scenario or RCAEval case under ``paths`` (an RCAEval case names the service only)."""
    cases = []
    with tempfile.TemporaryDirectory(prefix="andon-tune-") as tmp:
        settings = _settings(base, EvalOptions()).model_copy(update={"data_dir": Path(tmp)})
        knowledge = _Knowledge(settings, Path(tmp) / "overlay")
        for folder in find_scenarios(paths):
            if is_case(folder):
                cases.append(_rcaeval_case(folder, settings, knowledge))
                if progress:
                    progress(cases[-1].id)
                continue
            scenario = load_scenario(folder)
            tail = parse_duration(scenario.telemetry.get("tail", "3m"))
            sources = load_replay_sources(
                scenario.telemetry,
                scenario.reference,
                scenario.topology,
                Path(scenario.path),
                heals=scenario.heals,
                seed_key=scenario.id,
            )
            report = _investigate(
                settings,
                sources,
                knowledge.for_scenario(scenario),
                scenario.trigger_payload(),
                scenario.reference + min(120.0, tail),
                approve=False,
            )
            cases.append(
                Case(
                    id=scenario.id,
                    calls=report["evidence"],
                    context=context_of(report, scenario.topology),
                    service=scenario.expected.service,
                    category=scenario.expected.category,
                )
            )
            if progress:
                progress(scenario.id)
    return cases


def _rcaeval_case(folder: Path, settings: Settings, knowledge: _Knowledge) -> Case:
    """An RCAEval case as ``andon eval`` runs it (metrics only, a generic trigger); it names the service only."""
    case = load_case(folder)
    telemetry = ReplayTelemetry(
        series=case.series,
        start=min(float(s.times[0]) for s in case.series),
        end=max(float(s.times[-1]) for s in case.series),
    )
    trigger = {
        "text": f"Anomaly detected in the system since {to_datetime(case.inject_time).strftime('%H:%M:%S')}",
        "ts": case.inject_time,
    }
    report = _investigate(
        settings,
        Sources(metrics=telemetry, services=case.services, replayed=True),
        knowledge.shared,
        trigger,
        telemetry.end,
        approve=False,
    )
    return Case(id=case.id, calls=report["evidence"], context=context_of(report, {}), service=case.service, category="")


def incident_cases(labelled: list[dict[str, Any]], topology: dict[str, list[str]]) -> list[Case]:
    """Cases from stored incidents a person resolved or judged (see ``bot.store.incidents.labelled_incidents``):
    a confirmed answer counts double; a refuted one counts against a fit that gives it again."""
    cases = []
    for item in labelled:
        answer = item.get("answer")
        refuted = tuple(item["refuted"]) if item.get("refuted") else None
        if not answer and not refuted:
            continue
        service, category = answer or ("", "")
        cases.append(
            Case(
                id=str(item["id"]),
                calls=item["report"]["evidence"],
                context=context_of(item["report"], topology),
                service=service,
                category=category,
                weight=2.0 if item.get("confirmed") else 1.0,
                refuted=refuted if refuted and refuted != (service, category) else None,
            )
        )  # type: ignore[arg-type]
    return cases
