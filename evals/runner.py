"""Run scenarios (and RCAEval cases) through the real investigation graph with replay sources."""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.policy import load_policy
from bot.runtime import Investigator
from bot.settings import Settings, load_settings
from evals.rcaeval import RCACase, is_case, load_case
from evals.scenario import Scenario, ScenarioError, find_scenarios, load_scenario
from evals.scoring import ScenarioScore, score_report, summarise
from tools.sources import Sources
from tools.sources.replay import ReplayTelemetry, load_replay_sources
from tools.sources.timespec import parse_duration, to_datetime

__all__ = ["EvalOptions", "run_suite", "run_scenario", "default_suite"]

EVAL_APPROVER = "eval-approver"


def default_suite() -> Path:
    return Path(__file__).parent / "scenarios"


@dataclass
class EvalOptions:
    reasoner: str = "rules"
    model: str | None = None
    jobs: int = 2
    judge_model: str | None = None
    charts: bool = False
    """Keep the charts of each failure and close call in its score (for the HTML report)."""


class _Knowledge:
    """One embedded knowledge base for the run, plus per-scenario overlays for scenario-only documents.

    Overlays go to their own embedded store (``overlay_dir``) so that worker processes sharing the run's
    knowledge base only ever read it.
    """

    def __init__(self, settings: Settings, overlay_dir: Path) -> None:
        from bot.runtime import open_knowledge

        self.settings = settings
        self.shared = open_knowledge(settings)
        self._overlay_dir = overlay_dir

    def for_scenario(self, scenario: Scenario) -> Any:
        if not scenario.knowledge:
            return self.shared
        from knowledge.embeddings import make_embedding
        from knowledge.retrieval import KnowledgeBase, LayeredKnowledge
        from knowledge.store import open_client, open_collection

        extra = [Path(scenario.path) / k for k in scenario.knowledge]
        name = "eval_" + hashlib.sha256(scenario.id.encode()).hexdigest()[:12]
        client = open_client(self._overlay_dir)
        with contextlib.suppress(Exception):
            client.delete_collection(name)
        layer = KnowledgeBase(
            open_collection(client, make_embedding("local"), name), extra, client=client, include_bundled=False
        )
        layer.ingest(extra)
        return LayeredKnowledge(self.shared, layer)


def _settings(base: Settings, options: EvalOptions) -> Settings:
    updates: dict[str, Any] = {"reasoner": options.reasoner}
    if options.model:
        updates["model"] = options.model
    if base.llm_profile is None:  # the run's data dir is a scratch one: the model's weight is the real one's
        from bot.reasoners.llm.trust import profile_path

        updates["llm_profile"] = profile_path(base)
    return base.model_copy(update=updates)


def _investigate(
    settings: Settings, sources: Sources, kb: Any, trigger: Any, clock: float, approve: bool
) -> dict[str, Any]:
    from langgraph.checkpoint.memory import InMemorySaver

    investigator = Investigator(
        settings,
        sources,
        kb=kb,
        policy=load_policy(approvers=[EVAL_APPROVER]),
        approval_mode="interactive" if approve else "propose_only",
        clock=lambda: clock,
        checkpointer=InMemorySaver(),
    )
    outcome = investigator.start(trigger)
    if outcome.waiting:
        decisions = [
            {"proposal_id": p["id"], "hash": p["hash"], "decision": "approve", "by": EVAL_APPROVER, "at": time.time()}
            for p in outcome.state.get("proposals", [])
        ]
        outcome = investigator.resume(outcome.incident_id, decisions)
    if outcome.report is None:
        raise RuntimeError("the graph finished without a report")
    return outcome.report


def run_scenario(scenario: Scenario, settings: Settings, knowledge: _Knowledge, options: EvalOptions) -> ScenarioScore:
    started = time.time()
    tail = parse_duration(scenario.telemetry.get("tail", "3m"))
    sources = load_replay_sources(
        scenario.telemetry,
        scenario.reference,
        scenario.topology,
        Path(scenario.path),
        heals=scenario.heals,
        seed_key=scenario.id,
    )
    clock = scenario.reference + min(120.0, tail)
    report = _investigate(
        settings,
        sources,
        knowledge.for_scenario(scenario),
        scenario.trigger_payload(),
        clock,
        approve=scenario.approval == "approve",
    )
    score = score_report(scenario, report, time.time() - started, settings.model if options.reasoner == "llm" else None)
    if options.charts and (not score.passed or score.close_call):
        from evals.report_charts import scenario_charts

        score.charts = scenario_charts(report, score, sources.metrics, clock)
    if options.judge_model and scenario.expected.rubric:
        from evals.judge import judge

        score.notes.append(f"judge: {judge(settings, options.judge_model, scenario, report)}")
    return score


def run_case(case: RCACase, settings: Settings, knowledge: _Knowledge) -> tuple[ScenarioScore, int | None]:
    """An RCAEval case: the metrics replayed, the trigger a generic anomaly alert at the injection time."""
    started = time.time()
    telemetry = ReplayTelemetry(
        series=case.series,
        start=min(float(s.times[0]) for s in case.series),
        end=max(float(s.times[-1]) for s in case.series),
    )
    sources = Sources(metrics=telemetry, services=case.services, replayed=True)
    trigger = {
        "text": f"Anomaly detected in the system since {to_datetime(case.inject_time).strftime('%H:%M:%S')}",
        "ts": case.inject_time,
    }
    report = _investigate(settings, sources, knowledge.shared, trigger, telemetry.end, approve=False)
    ranked: list[str] = []
    for h in report.get("hypotheses", []):
        if h["service"] not in ranked:
            ranked.append(h["service"])
    for call in report.get("evidence", []):
        if call["tool"] == "rank_anomalies" and isinstance(call.get("data"), list):
            ranked += [s["service"] for s in call["data"] if s["service"] not in ranked]
    rank = ranked.index(case.service) + 1 if case.service in ranked else None
    score = ScenarioScore(
        id=case.id,
        category_expected=case.fault,
        service_expected=case.service,
        service_predicted=ranked[0] if ranked else None,
        category_predicted=None,
        services_ranked=ranked[:5],
        top1=rank == 1,
        top3=rank is not None and rank <= 3,
        category_ok=False,
        action_precision=1.0,
        action_ok=False,
        unsafe_actions=0,
        retrieval_hit=None,
        facts_found=1.0,
        steps=int(report.get("steps", 0)),
        tool_calls=int(report.get("tool_calls", 0)),
        tokens=int(report.get("tokens", {}).get("total", 0)),
        cost_usd=0.0,
        duration_s=round(time.time() - started, 3),
        passed=rank == 1,
        kind="rcaeval",
    )
    return score, rank


def _failed(item_id: str, error: Exception) -> ScenarioScore:
    return ScenarioScore(
        id=item_id,
        category_expected="",
        service_expected="",
        service_predicted=None,
        category_predicted=None,
        services_ranked=[],
        top1=False,
        top3=False,
        category_ok=False,
        action_precision=0.0,
        action_ok=False,
        unsafe_actions=0,
        retrieval_hit=None,
        facts_found=0.0,
        steps=0,
        tool_calls=0,
        tokens=0,
        cost_usd=0.0,
        duration_s=0.0,
        passed=False,
        error=f"{type(error).__name__}: {error}",
    )


def _run_one(
    folder: Path, settings: Settings, knowledge: _Knowledge, options: EvalOptions
) -> tuple[ScenarioScore, int | None, bool]:
    """One scenario or RCAEval case; a broken one is a failed result, never a crashed run."""
    try:
        if is_case(folder):
            score, rank = run_case(load_case(folder), settings, knowledge)
            return score, rank, True
        return run_scenario(load_scenario(folder), settings, knowledge, options), None, False
    except Exception as exc:
        return _failed(folder.name, exc), None, False


_worker: tuple[Settings, EvalOptions, _Knowledge] | None = None


def _start_worker(settings: Settings, options: EvalOptions, scratch: Path) -> None:
    global _worker
    overlay = Path(tempfile.mkdtemp(prefix="overlay-", dir=scratch))
    _worker = (settings, options, _Knowledge(settings, overlay))


def _run_in_worker(folder: Path) -> tuple[ScenarioScore, int | None, bool]:
    assert _worker is not None, "worker not started"
    settings, options, knowledge = _worker
    return _run_one(folder, settings, knowledge, options)


def _results(
    folders: list[Path], settings: Settings, options: EvalOptions, scratch: Path
) -> Iterator[tuple[ScenarioScore, int | None, bool]]:
    """Scenario results as they finish: in this process for one job, else in worker processes (one core each).

    The run's knowledge base is ingested here first, so workers open it read-only.
    """
    knowledge = _Knowledge(settings, scratch / "overlay")
    if options.jobs <= 1 or len(folders) <= 1:
        for folder in folders:
            yield _run_one(folder, settings, knowledge, options)
        return
    context = multiprocessing.get_context("spawn")  # forking a process that holds ONNX/Chroma threads is unsafe
    with ProcessPoolExecutor(
        max_workers=min(options.jobs, len(folders)),
        mp_context=context,
        initializer=_start_worker,
        initargs=(settings, options, scratch),
    ) as pool:
        pending = [pool.submit(_run_in_worker, folder) for folder in folders]
        for future in as_completed(pending):
            yield future.result()


def run_suite(
    paths: list[Path],
    options: EvalOptions,
    base: Settings | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Any]:
    """Run every scenario and RCAEval case under ``paths`` and return the summary dict."""
    started = time.time()
    folders = find_scenarios(paths or [default_suite()])
    if not folders:
        raise ScenarioError(f"no scenarios or RCAEval cases under {', '.join(map(str, paths))}")
    with tempfile.TemporaryDirectory(prefix="andon-eval-") as tmp:
        settings = _settings(base or load_settings(data_dir=Path(tmp)), options)
        settings = settings.model_copy(update={"data_dir": Path(tmp)})
        scores: list[ScenarioScore] = []
        ranks: list[int | None] = []
        for score, rank, is_rcaeval in _results(folders, settings, options, Path(tmp)):
            scores.append(score)
            if is_rcaeval:
                ranks.append(rank)
            if progress:
                progress(len(scores), len(folders), score.id)
        scores.sort(key=lambda s: s.id)
        return summarise(scores, ranks, time.time() - started)
