"""diagnose: ranked hypotheses with evidence; propose: remediation proposals for the best one."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from bot.agent.context import AgentContext
from bot.agent.nodes.opening import retrieve_for_diagnosis
from bot.agent.state import InvestigationState
from bot.models import Hypothesis
from bot.remedies import propose_actions
from tools.rca.capacity import drowning, hardest_hit_caller, pinned_to_few_pods
from tools.rca.evidence import read_evidence
from tools.rca.records import ChangeLink
from tools.rca.roles import is_datastore, role_of
from tools.rca.scope import trouble_node
from tools.rca.vocabulary import classify
from tools.redaction import redact_data

__all__ = ["diagnose", "propose"]

RECENT_CHANGE_MIN = 120.0
"""A change this recent, or one tied to the trouble, is what an action may undo (a release, a migration)."""


def diagnose(state: InvestigationState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    ctx.announce("ranking hypotheses")
    reasoner = ctx.reasoners[state.get("reasoner", "rules")]
    update = reasoner.diagnose(state, ctx)
    retrieved, similar = retrieve_for_diagnosis(state, update.get("hypotheses", []), ctx)
    update["runbooks"] = _matched_runbooks(update.get("hypotheses", []), retrieved, ctx)
    update["similar"] = similar
    return update


def _matched_runbooks(
    hypotheses: list[dict[str, Any]], retrieved: list[dict[str, Any]], ctx: AgentContext
) -> list[dict[str, Any]]:
    """The runbooks whose checks the leading hypotheses confirmed, then the ones retrieved for the trigger."""
    if ctx.kb is None:
        return retrieved
    by_id = {rb.id: rb for rb in ctx.kb.runbooks()}
    matched: list[dict[str, Any]] = []
    for hypothesis in hypotheses[:3]:
        runbook = by_id.get(hypothesis.get("runbook_id") or "")
        if runbook is not None and all(m["doc_id"] != runbook.id for m in matched):
            matched.append(
                {
                    "doc_id": runbook.id,
                    "kind": "runbook",
                    "title": runbook.title,
                    "category": runbook.category,
                    "score": hypothesis["confidence"],
                    "services": runbook.services,
                    "alerts": runbook.alerts,
                    "snippet": "",
                    "path": runbook.path,
                    "why": [f"its checks fit {hypothesis['service']}"],
                }
            )
    return matched + [r for r in retrieved if all(m["doc_id"] != r["doc_id"] for m in matched)]


def _recent(change: ChangeLink) -> bool:
    return bool(change.linked) or change.minutes_before_onset <= RECENT_CHANGE_MIN


def _context_for(hypothesis: Hypothesis, state: InvestigationState, ctx: AgentContext) -> dict[str, Any]:
    """Values an action's parameters may need: the previous version, the flag that flipped, the alert."""
    evidence = read_evidence(state.get("calls", []))
    context: dict[str, Any] = {
        "service": hypothesis.service,
        "alertname": state["incident"].get("alertname"),
        "category": hypothesis.category,
    }
    recent = [c for c in evidence.changes_of(hypothesis.service) if _recent(c)]
    for change in sorted(recent, key=lambda c: (not c.linked, c.minutes_before_onset)):
        if change.family == "deploy":
            context["deployed"] = True  # a rollback has a release to go back to
            if change.linked:
                context["release_began"] = True  # the trouble began with that release (a leak's slope, a step)
            if change.previous_version and "previous_version" not in context:
                context["previous_version"] = change.previous_version
        if change.flag and "flag" not in context:
            context["flag"] = change.flag
        if change.family == "config" and "config" not in context:
            context["config"] = change.description

    evidence.topology = ctx.sources.call_graph()
    crashing = any("crashloop" in r.lower() or "backoff" in r.lower() for r in evidence.k8s_reasons(hypothesis.service))
    if not crashing and any(
        c.family == "credential" and c.minutes_before_onset > ctx.params.secret_in_use_min
        for c in evidence.credentials_of(hypothesis.service)
    ):
        context["rotated"] = True  # a new secret has long existed and the old one is retired: a restart picks it up
        # (unless its pods already restart again and again: each start read the current secret, and it fails)
    if any(
        c.family == "certificate" and c.minutes_before_onset >= 0 for c in evidence.credentials_of(hypothesis.service)
    ):
        context["renewed"] = True  # a new certificate was issued: a restart makes start-up readers load it
    bad_nodes = [n.name for n in evidence.nodes if not n.ready]
    node = bad_nodes[0] if bad_nodes else trouble_node(hypothesis.service, evidence, ctx.params)
    if node:
        context["node"] = node  # the node to move work off
    shrunk = [
        s
        for s in evidence.series(hypothesis.service)
        if s.service == hypothesis.service
        and classify(s.metric).name == "replicas"
        and "max" not in s.metric
        and s.direction == "down"
        and s.score >= ctx.params.anomaly_threshold
        and round(s.before) > round(s.after)
    ]
    if shrunk:
        cut = max(shrunk, key=lambda s: s.before - s.after)
        context["scaled_down"] = True  # its replicas were cut: adding them back restores what it had
        context["replicas_back"] = f"+{round(cut.before) - round(cut.after)}"
    reach = {hypothesis.service, *evidence.topology.get(hypothesis.service, [])}
    if any(c.family == "schema" and c.service in reach and _recent(c) for c in evidence.changes):
        context["migrated"] = True  # a schema change tied to the trouble: rolling the code back does not undo it
    if pinned_to_few_pods(hypothesis.service, evidence, ctx.params):
        context["skewed"] = True  # its work piled onto a few pods: more replicas share none of it
    caller = hardest_hit_caller(hypothesis.service, evidence)
    if caller:
        context["caller"] = caller  # where a fallback for a failing dependency is switched on
    if role_of(hypothesis.service, evidence) == "dns_failure":
        context["resolver"] = True  # it is a DNS server: restarting or scaling it is the fix, not its clients'
    if is_datastore(hypothesis.service, evidence):
        context["datastore"] = True  # shared state: a restart drops every client and may fail over
    if crashing:
        context["crashing"] = True  # its processes die on what they are given: more of them die the same way
    overloaded = sorted(
        name
        for name, record in evidence.services.items()
        if hypothesis.service in record.load_from and drowning(record, ctx.params)
    )
    if overloaded:
        context["overloaded"] = overloaded
    return context


def propose(state: InvestigationState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    hypotheses = [Hypothesis.model_validate(h) for h in state.get("hypotheses", [])]
    if not hypotheses:
        return {"proposals": []}
    best = hypotheses[0]
    if state.get("verdict") == "inconclusive":
        return {"proposals": [], "notes": ["no action proposed: the investigation is inconclusive"]}
    if best.confidence < ctx.params.act_confidence:
        return {
            "proposals": [],
            "notes": [
                f"no action proposed: the leading hypothesis ({best.category} on "
                f"{best.service}, {best.confidence:.2f}) is not strong enough to act on"
            ],
        }
    leader = (state.get("trust") or {}).get("rules_leader")
    if leader and [best.service, best.category] != list(leader):
        return {
            "proposals": [],
            "notes": [
                f"no action proposed: the model ranked {best.category} on {best.service} "
                f"above the rules engine's {leader[1]} on {leader[0]}; confirm the root "
                f"cause first (a model's ranking alone never proposes a change)"
            ],
        }
    rival = next((h for h in hypotheses[1:] if h.service != best.service and h.explained_by != best.service), None)
    if rival is not None and best.confidence - rival.confidence < ctx.params.close_call:
        return {
            "proposals": [],
            "notes": [
                f"no action proposed: {best.service} ({best.confidence:.2f}) and "
                f"{rival.service} ({rival.confidence:.2f}) are too close to call; "
                f"confirm the root cause first"
            ],
        }
    runbook = None
    if ctx.kb is not None and best.runbook_id:
        runbook = next((rb for rb in ctx.kb.runbooks() if rb.id == best.runbook_id), None)
    proposals = propose_actions(best, runbook, ctx.registry, _context_for(best, state, ctx))
    notes = []
    if ctx.policy is not None:
        allowed = [
            p for p in proposals if ctx.policy.target_allowed(str(p.args.get("service", "")), p.args.get("namespace"))
        ]
        if len(allowed) < len(proposals):
            notes.append(
                f"{len(proposals) - len(allowed)} proposal(s) dropped: target outside the policy's blast radius"
            )
        proposals = allowed
    for offered in state.get("model_proposals", []):
        notes.append(f"the model asked to run {offered['tool']} directly; refused (only approved proposals run)")
    now = time.time()
    out = []
    for proposal in proposals:
        proposal.created_at = now
        auto = bool(
            ctx.policy and ctx.policy.auto_executes(proposal.tool, proposal.risk, str(proposal.args.get("service", "")))
        )
        out.append({**proposal.model_dump(), "auto": auto})
    _audit_proposals(ctx, state, out)
    ctx.announce("proposing", count=len(proposals))
    return {"proposals": out, "notes": notes}


def _audit_proposals(ctx: AgentContext, state: InvestigationState, proposals: list[dict[str, Any]]) -> None:
    """Every proposal goes into the audit log, and so does every change the model tried to make itself."""
    if ctx.store is None:
        return
    incident_id = state["incident"]["id"]
    for offered in state.get("model_proposals", []):
        ctx.store.audit(
            incident_id,
            "model_proposal_refused",
            offered["tool"],
            redact_data(offered.get("args", {})),
            "the model asked to run it directly; only approved proposals run",
            offered.get("by", "llm"),
        )
    for proposal in proposals:
        how = "auto-executes (self-healing allowlist)" if proposal["auto"] else "waits for approval"
        ctx.store.audit(
            incident_id,
            "proposed",
            proposal["tool"],
            proposal["args"],
            f"{proposal['risk']}, hash {proposal['hash']}, {how}",
            "andon",
        )
