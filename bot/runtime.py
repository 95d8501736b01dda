"""Assemble an investigation's context (sources, tools, knowledge, reasoners, store) and run the graph:
start it, stop at an approval, resume it — from this process or another."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from langgraph.types import Command

from bot.agent.context import AgentContext, ApprovalMode
from bot.agent.graph import build_graph
from bot.checkpoints import open_checkpointer
from bot.intake import incident_from_trigger
from bot.policy import Policy
from bot.reasoners.rules import RulesReasoner
from bot.settings import Settings
from bot.store.incidents import IncidentStore
from tools import Tool, ToolRegistry, default_registry
from tools.rca.params import Params, load_params
from tools.redaction import redact_data, redacted_excerpt
from tools.sources import Sources
from tools.sources.replay import load_replay_sources
from tools.sources.timespec import parse_duration, parse_instant

__all__ = ["Investigator", "Outcome", "live_sources", "fixture_sources", "open_knowledge", "make_reasoners"]


@dataclass
class Outcome:
    incident_id: str
    state: dict[str, Any]
    waiting: bool
    """True when the graph paused at await_approval."""

    @property
    def report(self) -> dict[str, Any] | None:
        return self.state.get("report")


def live_sources(settings: Settings) -> Sources:
    """Sources for the backends configured in settings (Prometheus, Alertmanager, Loki, Kubernetes…)."""
    from bot.sources import build_live_sources

    return build_live_sources(settings)


def fixture_sources(path: Path) -> tuple[Sources, float]:
    """Replay sources from a telemetry fixture file, and the time to judge the incident at."""
    try:
        spec = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read telemetry fixture {path}: {exc}") from exc
    if "time" not in spec:
        raise ValueError(f"{path}: a telemetry fixture needs 'time' (the alert time, ISO 8601)")
    reference = parse_instant(spec["time"])
    system = spec.get("system") or {}
    topology = {str(k): [str(d) for d in (v or [])] for k, v in (system.get("services") or {}).items()}
    sources = load_replay_sources(
        spec.get("telemetry") or {}, reference, topology, path.parent, heals=spec.get("heals"), seed_key=path.stem
    )
    return sources, reference + parse_duration(spec.get("now", "2m"))


def open_knowledge(settings: Settings, ingest: bool = True) -> Any:
    """The knowledge base (embedded Chroma or a server); ingests the bundled documents if asked."""
    from knowledge.embeddings import make_embedding
    from knowledge.retrieval import KnowledgeBase
    from knowledge.store import open_client, open_collection

    client = open_client(settings.data_dir, settings.chroma_url)
    embedding = make_embedding(
        settings.embeddings,
        settings.embedding_model,
        settings.openai_base_url,
        settings.secret("openai_api_key") or None,
    )
    kb = KnowledgeBase(
        open_collection(client, embedding),
        settings.knowledge_dirs,
        client=client,
        lexical_cache=settings.data_dir / "lexical-index",
    )
    if ingest:
        kb.ingest_if_changed(settings.data_dir / "knowledge.stamp")
    return kb


def make_reasoners(settings: Settings) -> dict[str, Any]:
    from bot.reasoners.llm import LLMReasoner

    rules = RulesReasoner()
    return {"rules": rules, "llm": LLMReasoner(settings, rules)}


def rca_params(settings: Settings) -> Params:
    """The engine's parameters: ``rca_params`` if set, else ``<data_dir>/rca-params.json`` if ``andon tune``
    wrote one there, else the shipped defaults."""
    return load_params(settings.rca_params or settings.data_dir / "rca-params.json")


class Investigator:
    """Runs investigations through the graph with a durable checkpointer (thread id = incident id)."""

    def __init__(
        self,
        settings: Settings,
        sources: Sources,
        kb: Any = None,
        store: IncidentStore | None = None,
        policy: Policy | None = None,
        registry: ToolRegistry | None = None,
        extra_tools: list[Tool] | None = None,
        approval_mode: ApprovalMode = "interactive",
        clock: Callable[[], float] = time.time,
        checkpointer: Any = None,
        progress: Callable[[str, dict[str, Any]], None] | None = None,
        verify_wait_s: float = 0.0,
    ) -> None:
        self.settings = settings
        self.context = AgentContext(
            settings=settings,
            registry=registry or default_registry(extra_tools),
            sources=sources,
            reasoners=make_reasoners(settings),
            kb=kb,
            policy=policy,
            store=store,
            approval_mode=approval_mode,
            clock=clock,
            progress=progress,
            verify_wait_s=verify_wait_s,
            params=rca_params(settings),
        )
        self.checkpointer = (
            checkpointer if checkpointer is not None else open_checkpointer(settings.database_url, settings.data_dir)
        )
        self.graph = build_graph(self.checkpointer)

    def _config(self, incident_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": incident_id}, "recursion_limit": 100}

    def outcome(self, incident_id: str) -> Outcome:
        """Where the incident's investigation stands: its state, and whether it waits for a decision."""
        return self._outcome(incident_id)

    def _outcome(self, incident_id: str) -> Outcome:
        snapshot = self.graph.get_state(self._config(incident_id))
        return Outcome(incident_id, dict(snapshot.values), waiting=bool(snapshot.next))

    def start(self, trigger: Any, incident_id: str | None = None, origin: str | None = None) -> Outcome:
        """Investigate ``trigger`` until the report, or until a proposal waits for approval. ``origin`` marks
        an incident that did not come from Slack or an alert (see :data:`bot.store.incidents.ORIGINS`)."""
        incident = incident_from_trigger(
            trigger, now=self.context.clock(), known_services=self.context.sources.services
        )
        thread = incident_id or incident.id
        incident.id = thread  # the store row and the graph state share the caller's id
        if self.context.store is not None:
            self.context.store.upsert_incident(
                redact_data(incident.model_dump(mode="json", exclude={"raw"})), origin=origin
            )
            self.context.store.audit(thread, "received", None, redacted_excerpt(trigger), "trigger received")
        previous = self.graph.get_state(self._config(thread))
        if previous.values:
            if previous.next:
                raise RuntimeError(f"incident {thread} is already waiting for a decision; resume it instead")
            self.checkpointer.delete_thread(thread)  # a fresh investigation of the same incident starts clean
        # the normalised incident goes into the graph; the raw trigger (a webhook may be megabytes) is never
        # checkpointed at every step, only referenced
        reference = {"source": incident.source, "kept": "audit log, event 'received'"}
        self.graph.invoke(
            {"trigger": reference, "incident": incident.model_dump(mode="json", exclude={"raw"})},
            self._config(thread),
            context=self.context,
        )
        return self._finish(thread)

    def resume(self, incident_id: str, decisions: list[dict[str, Any]]) -> Outcome:
        """Continue a paused investigation with human decisions (from this or any other process)."""
        snapshot = self.graph.get_state(self._config(incident_id))
        if not snapshot.next:
            raise LookupError(f"incident {incident_id} is not waiting for a decision")
        self.graph.invoke(Command(resume={"decisions": decisions}), self._config(incident_id), context=self.context)
        return self._finish(incident_id)

    def _finish(self, incident_id: str) -> Outcome:
        outcome = self._outcome(incident_id)
        if self.context.store is not None and outcome.report:
            self.context.store.save_report(incident_id, outcome.report)
        return outcome

    def pending(self, incident_id: str) -> list[dict[str, Any]]:
        snapshot = self.graph.get_state(self._config(incident_id))
        return list(snapshot.values.get("proposals", [])) if snapshot.next else []
