"""One lab experiment, end to end: inject a fault, wait for Alertmanager's page, investigate with
Andon (live sources, rules or LLM reasoner), approve the first proposal as a named approver through
``Investigator.resume``, let Andon act and verify recovery, then resolve the incident and write it
back to the knowledge base. Used by ``andon demo`` and the end-to-end test.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.policy import Policy
from bot.runtime import Investigator
from bot.settings import Settings
from bot.store.incidents import IncidentStore
from evals.lab.faults import FAULTS, fault
from evals.lab.lab import Lab
from evals.lab.learning import learned_incident
from evals.lab.sources import lab_settings, lab_sources
from evals.lab.webhook import AlertReceiver

__all__ = ["Experiment", "ExperimentResult", "BASELINE_S"]

BASELINE_S = 30.0
"""Healthy history an experiment needs before its fault: the anomaly ranking compares before with after
(15 samples at the lab's 2 s resolution)."""
Listener = Callable[[str, dict[str, Any]], None]


@dataclass
class ExperimentResult:
    fault: str
    target: str
    expected: dict[str, str]
    injected_at: float
    noise: dict[str, Any] | None = None
    alert_at: float | None = None
    alert: dict[str, Any] | None = None
    incident_id: str | None = None
    rca_at: float | None = None
    root_cause: dict[str, Any] = field(default_factory=dict)
    hypotheses: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    """The investigation's tool calls: tool, status and summary (to explain a wrong diagnosis)."""
    proposals: list[dict[str, Any]] = field(default_factory=list)
    decision: dict[str, Any] | None = None
    action: dict[str, Any] | None = None
    verification: dict[str, Any] | None = None
    recovered_at: float | None = None
    resolved_alert_at: float | None = None
    learned_doc: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def recovered(self) -> bool | None:
        if not FAULTS[self.fault].symptomatic:
            return self.alert is None
        return None if self.verification is None else self.verification.get("recovered")

    def _since(self, at: float | None, start: float | None) -> float | None:
        return round(at - start, 1) if at is not None and start is not None else None

    @property
    def time_to_detect_s(self) -> float | None:
        return self._since(self.alert_at, self.injected_at)

    @property
    def time_to_rca_s(self) -> float | None:
        return self._since(self.rca_at, self.alert_at)

    @property
    def mttr_s(self) -> float | None:
        """From the page to verified recovery."""
        return self._since(self.recovered_at, self.alert_at)

    @property
    def fixed_at(self) -> float | None:
        """When the approved action finished, if it ran and the system recovered."""
        if self.action and self.action.get("status") == "executed" and self.recovered:
            return float(self.action.get("at") or 0.0) or None
        return None

    @property
    def diagnosed_right(self) -> bool:
        if not FAULTS[self.fault].symptomatic:
            return self.alert is None
        return self.root_cause.get("service") == self.expected["service"] and FAULTS[self.fault].names(
            self.root_cause.get("category")
        )

    def summary(self) -> dict[str, Any]:
        action = None
        if self.action:
            action = {
                "tool": self.action.get("tool"),
                "args": self.action.get("args"),
                "status": self.action.get("status"),
                "result": self.action.get("result"),
            }
        return {
            "fault": self.fault,
            "target": self.target,
            "expected": self.expected,
            "noise": self.noise,
            "alert": self.alert,
            "incident_id": self.incident_id,
            "root_cause": {k: self.root_cause.get(k) for k in ("service", "category", "confidence")},
            "diagnosed_right": self.diagnosed_right,
            "hypotheses": self.hypotheses[:3],
            "proposals": [{"tool": p["tool"], "args": p["args"], "risk": p["risk"]} for p in self.proposals],
            "approved_by": (self.decision or {}).get("by"),
            "action": action,
            "recovered": self.recovered,
            "verification": (self.verification or {}).get("detail"),
            "time_to_detect_s": self.time_to_detect_s,
            "time_to_rca_s": self.time_to_rca_s,
            "mttr_s": self.mttr_s,
            "fault_to_recovery_s": self._since(self.recovered_at, self.injected_at),
            "learned_doc": self.learned_doc,
            "notes": self.notes,
        }


class Experiment:
    """Runs faults against a running lab with one Andon investigator (interactive approval mode)."""

    def __init__(
        self,
        lab: Lab,
        settings: Settings,
        receiver: AlertReceiver,
        kb: Any = None,
        store: IncidentStore | None = None,
        policy: Policy | None = None,
        approver: str = "demo-approver",
        on_event: Listener | None = None,
        verify_wait_s: float = 60.0,
        await_resolved_s: float = 0.0,
    ) -> None:
        self.lab = lab
        self.receiver = receiver
        self.kb = kb
        self.store = store
        self.approver = approver
        self.on_event = on_event
        self.await_resolved_s = await_resolved_s
        self.settings = lab_settings(settings, lab.layout)
        self.investigator = Investigator(
            self.settings,
            lab_sources(self.settings, lab.layout),
            kb=kb,
            store=store,
            policy=policy,
            approval_mode="interactive",
            progress=self._progress,
            verify_wait_s=verify_wait_s,
        )
        self._stages: dict[str, float] = {}

    def emit(self, stage: str, **data: Any) -> None:
        if self.on_event is not None:
            self.on_event(stage, data)

    def _progress(self, stage: str, info: dict[str, Any]) -> None:
        self._stages.setdefault(stage, time.time())
        self.emit("progress", step=stage, **info)

    def _sparklines(self, state: dict[str, Any]) -> dict[str, str]:
        """The shape of each series the RCA's evidence describes, for the transcript (none when charts are off)."""
        if self.on_event is None or not self.settings.charts:
            return {}
        from bot.charts.evidence import evidence_sparklines

        view = {
            "incident": state.get("incident") or {},
            "hypotheses": state.get("hypotheses") or [],
            "evidence": state.get("calls") or [],
        }
        try:
            return evidence_sparklines(view, self.investigator.context.sources.metrics, time.time())
        except Exception:  # a drawing is never worth the demo
            return {}

    def wait_for_baseline(self) -> None:
        ready_at = float(self.lab.record().get("epoch") or 0.0) + BASELINE_S
        if ready_at > time.time():
            self.emit("baseline", seconds=round(ready_at - time.time()))
            time.sleep(ready_at - time.time())

    def run(
        self, name: str, service: str | None = None, noise: bool = False, alert_timeout_s: float = 90.0
    ) -> ExperimentResult:
        chosen = fault(name)
        target = service or chosen.service
        self.wait_for_baseline()
        noise_done = None
        if noise and chosen.symptomatic:
            decoy = next(s for s in ("gateway", "checkout", "inventory") if s != target)
            noise_done = self.lab.inject("noise", decoy)
            self.emit("noise", **noise_done)
            time.sleep(4.0)
        injected = self.lab.inject(name, target)
        result = ExperimentResult(
            name,
            target,
            {"service": target, "category": chosen.category, "action": chosen.action},
            injected["at"],
            noise=noise_done,
        )
        self.emit("injected", fault=name, service=target, title=chosen.title, at=injected["at"])
        page = self.receiver.first_page(injected["at"], alert_timeout_s if chosen.symptomatic else 30.0)
        if page is None:
            result.notes.append(
                f"no alert within {alert_timeout_s:.0f}s"
                if chosen.symptomatic
                else "no alert fired: the change was harmless, as expected"
            )
            self.emit("no_alert", expected=not chosen.symptomatic)
            return result
        first = page.firing[0]["labels"]
        result.alert_at = page.received_at
        result.alert = {
            "alertname": first.get("alertname"),
            "service": first.get("service") or first.get("job") or first.get("container"),
            "summary": page.firing[0].get("annotations", {}).get("summary", ""),
        }
        self.emit("alert", **result.alert, received_at=page.received_at)
        self._stages = {}
        outcome = self.investigator.start(page.payload)
        result.incident_id = outcome.incident_id
        result.rca_at = self._stages.get("proposing", time.time())
        self._record_diagnosis(result, outcome.state)
        self.emit(
            "rca", incident_id=outcome.incident_id, state=outcome.state, sparklines=self._sparklines(outcome.state)
        )
        if outcome.waiting and result.proposals:
            outcome = self._approve_and_act(result)
        report = outcome.report or {}
        executed = [a for a in report.get("actions", []) if a.get("status") == "executed"]
        result.action = executed[0] if executed else next(iter(report.get("actions", [])), None)
        result.verification = report.get("verification")
        if result.verification and result.verification.get("recovered"):
            result.recovered_at = float(result.verification.get("at") or time.time())
        self.emit("verified", verification=result.verification, action=result.action)
        if result.recovered:
            self._resolve(result, report)
        return result

    def _record_diagnosis(self, result: ExperimentResult, state: dict[str, Any]) -> None:
        hypotheses = state.get("hypotheses", [])
        if hypotheses:
            best = hypotheses[0]
            result.root_cause = {
                "service": best["service"],
                "category": best["category"],
                "confidence": best["confidence"],
                "summary": best.get("summary"),
            }
        result.hypotheses = [
            {"service": h["service"], "category": h["category"], "confidence": h["confidence"]} for h in hypotheses[:5]
        ]
        result.proposals = list(state.get("proposals", []))
        result.calls = [
            {"tool": c.get("tool"), "status": c.get("status"), "summary": c.get("summary", "")}
            for c in state.get("calls", [])
        ]

    def _approve_and_act(self, result: ExperimentResult) -> Any:
        chosen = result.proposals[0]
        decision = {
            "proposal_id": chosen["id"],
            "hash": chosen["hash"],
            "decision": "approve",
            "by": self.approver,
            "at": time.time(),
        }
        if self.store is not None and result.incident_id:
            self.store.record_decision(result.incident_id, chosen["id"], chosen["hash"], "approve", self.approver)
        result.decision = decision
        self.emit("approved", proposal=chosen, by=self.approver)
        return self.investigator.resume(str(result.incident_id), [decision])

    def _resolve(self, result: ExperimentResult, report: dict[str, Any]) -> None:
        if self.await_resolved_s > 0 and result.alert:
            alertname = result.alert["alertname"]
            resolved = self.receiver.wait(
                lambda d: (
                    d.received_at >= (result.recovered_at or 0) - 30
                    and d.payload.get("status") == "resolved"
                    and d.payload.get("commonLabels", {}).get("alertname") == alertname
                ),
                self.await_resolved_s,
            )
            result.resolved_alert_at = resolved.received_at if resolved else None
        fix = (result.action or {}).get("result") or ""
        if self.store is not None and result.incident_id:
            self.store.set_status(result.incident_id, "resolved", root_cause=result.root_cause.get("summary"), fix=fix)
            self.store.note(
                result.incident_id, "resolved", f"recovered: {(result.verification or {}).get('detail')}", by="andon"
            )
        if self.kb is not None:
            doc = learned_incident(result.summary(), report)
            self.kb.add_document(doc)
            result.learned_doc = doc.id
        self.emit("resolved", learned_doc=result.learned_doc, alert_resolved_at=result.resolved_alert_at)
