"""The model's diagnosis, blended with the rules engine's: ask for hypotheses citing call ids, keep the
supported ones (and, outside the rules engine's list, only the grounded ones), count the rest as
unsupported, and rank by ``(1 − w)·rules + w·model`` with the model's calibrated ``w``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.models import Evidence, Hypothesis
from bot.prompts import render
from bot.reasoners.llm.budget import clip, estimate_tokens, first_fitting
from bot.reasoners.llm.client import ChatClient, ChatReply, LLMError, extract_json
from bot.reasoners.llm.digest import DETAILS, Detail, digest
from bot.reasoners.llm.grounding import Claim, Ground, distinctive_evidence, read_claim
from bot.reasoners.llm.trust import Scored, Trust, blend
from knowledge.taxonomy import categories

if TYPE_CHECKING:
    from bot.agent.context import AgentContext
    from bot.agent.state import InvestigationState

__all__ = [
    "MAX_CLAIMS",
    "RECORDED_RULES",
    "ask_for_diagnosis",
    "diagnosis_messages",
    "diagnosis_schema",
    "rank_with_model",
]

MAX_CLAIMS = 5
"""The model's hypotheses read, best first; the rest are ignored."""
SCHEMA_CLAIMS = 3
"""The most hypotheses a schema-constrained answer may hold (each costs a small model ~40 tokens to write)."""
SUMMARY_CHARS = 160
"""The longest summary a schema-constrained answer may write."""
RECORDED_RULES = 10
"""The rules engine's hypotheses kept in the report's trust record (plus any the model named), enough to
replay the blend at another weight when calibrating."""


def diagnosis_messages(
    state: InvestigationState, ctx: AgentContext, hypotheses: list[Hypothesis], services: list[str], budget: int
) -> list[dict[str, Any]]:
    """The diagnosis request at the most detail that fits ``budget`` tokens: the instructions first, the same
    for every incident (a server's prompt cache keeps them), then the incident, the rules engine's ranking
    and the evidence, so a request that still does not fit loses the least useful evidence at its end. An
    evidence summary the ranking already showed is cited by its call id alone."""
    calls = state.get("calls", [])
    leading = list(dict.fromkeys(h.service for h in hypotheses[:5]))
    system = {"role": "system", "content": render("diagnose", categories=list(categories()))}

    def prompt(detail: Detail) -> list[dict[str, Any]]:
        seen: set[tuple[str, str]] = set()
        shown = []
        for h in hypotheses[: detail.facts]:
            evidence = []
            for e in [e for e in h.evidence if e.supports][:2]:
                summary = clip(e.summary, detail.chars)
                evidence.append({"call_id": e.call_id, "summary": "" if (e.call_id, summary) in seen else summary})
                seen.add((e.call_id, summary))
            shown.append(
                {"service": h.service, "category": h.category, "confidence": h.confidence, "evidence": evidence}
            )
        user = render(
            "diagnose_user",
            services=services,
            incident=state["incident"],
            hypotheses=shown,
            digest=digest(calls, leading, detail),
        )
        return [system, {"role": "user", "content": user}]

    best = first_fitting((prompt(d) for d in DETAILS), estimate_tokens, budget)
    if best is not None:
        return best
    messages = prompt(DETAILS[-1])
    text = str(messages[-1]["content"])
    while text and estimate_tokens(messages) > budget:
        text = text[: len(text) - (estimate_tokens(messages) - budget) * 4 - 16]
        messages = [system, {"role": "user", "content": text}]
    return messages


def diagnosis_schema(services: list[str], call_ids: list[str]) -> dict[str, Any]:
    """The JSON schema of a diagnosis, for endpoints that constrain their answer to one: services, categories
    and call ids from this incident only, at most :data:`SCHEMA_CLAIMS` hypotheses, short summaries."""
    return {
        "type": "object",
        "properties": {
            "hypotheses": {
                "type": "array",
                "minItems": 1,
                "maxItems": SCHEMA_CLAIMS,
                "items": {
                    "type": "object",
                    "properties": {
                        "service": {"type": "string", "enum": services},
                        "category": {"type": "string", "enum": list(categories())},
                        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                        "summary": {"type": "string", "maxLength": SUMMARY_CHARS},
                        "evidence": {
                            "type": "array",
                            "minItems": 1 if call_ids else 0,
                            "maxItems": 3,
                            "items": {"type": "string", "enum": call_ids} if call_ids else {"type": "string"},
                        },
                    },
                    "required": ["service", "category", "confidence", "summary", "evidence"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["hypotheses"],
        "additionalProperties": False,
    }


def _claims(
    answer: Any,
    calls: dict[str, dict[str, Any]],
    services: list[str],
    rules: dict[tuple[str, str], Hypothesis],
    ctx: AgentContext,
) -> tuple[list[Claim], dict[tuple[str, str], list[Ground]], list[str]]:
    """The model's claims kept (named in the rules engine's list, or grounded), their grounds, and why each
    other one was dropped."""
    proposed = answer.get("hypotheses") if isinstance(answer, dict) else None
    if not isinstance(proposed, list):
        raise LLMError("diagnosis JSON has no 'hypotheses' list")
    runbooks = ctx.kb.runbooks() if ctx.kb is not None else []
    kept: list[Claim] = []
    grounds: dict[tuple[str, str], list[Ground]] = {}
    dropped: list[str] = []
    for item in proposed[:MAX_CLAIMS]:
        claim = read_claim(item, calls, services)
        if isinstance(claim, str):
            dropped.append(claim)
            continue
        if any(k.key == claim.key for k in kept):
            continue
        if claim.key not in rules:
            found = distinctive_evidence(claim, calls, runbooks, ctx.params, ctx.sources.call_graph())
            if not found:
                dropped.append(
                    f"{claim.category} on {claim.service}: no evidence distinctive of {claim.category} "
                    f"in {', '.join(claim.cited[:3])}"
                )
                continue
            grounds[claim.key] = found
        kept.append(claim)
    return kept, grounds, dropped


def _cited(claim: Claim, calls: dict[str, dict[str, Any]]) -> list[Evidence]:
    return [
        Evidence(call_id=c, tool=calls[c]["tool"], summary=f"model: {claim.summary}"[:300]) for c in claim.cited[:2]
    ]


def _services(hypotheses: list[Hypothesis], ctx: AgentContext) -> list[str]:
    return sorted({h.service for h in hypotheses} | set(ctx.sources.services))


def ask_for_diagnosis(
    client: ChatClient, state: InvestigationState, ctx: AgentContext, base: dict[str, Any]
) -> ChatReply:
    """The model's answer to the diagnosis request for ``base`` (the rules engine's diagnosis)."""
    hypotheses = [Hypothesis.model_validate(h) for h in base["hypotheses"]]
    services = _services(hypotheses, ctx)
    messages = diagnosis_messages(state, ctx, hypotheses, services, ctx.settings.max_prompt_tokens)
    call_ids = sorted(str(c["id"]) for c in state.get("calls", []))
    return client.chat(messages, json_mode=True, schema=diagnosis_schema(services, call_ids))


def rank_with_model(
    reply: ChatReply, state: InvestigationState, ctx: AgentContext, base: dict[str, Any], trust: Trust
) -> dict[str, Any]:
    """``base`` (the rules engine's diagnosis) re-ranked with the hypotheses of the model's ``reply``."""
    hypotheses = [Hypothesis.model_validate(h) for h in base["hypotheses"]]
    calls = {c["id"]: c for c in state.get("calls", [])}
    services = _services(hypotheses, ctx)
    rules: dict[tuple[str, str], Hypothesis] = {}
    for h in hypotheses:
        rules.setdefault((h.service, h.category), h)
    kept, grounds, dropped = _claims(extract_json(reply.content), calls, services, rules, ctx)

    named = {c.key: c for c in kept}
    ranked = blend(
        [Scored(h.service, h.category, h.confidence) for h in rules.values()],
        [Scored(c.service, c.category, c.confidence) for c in kept],
        trust.weight,
    )
    out: list[Hypothesis] = []
    for scored in ranked:
        claim = named.get(scored.key)
        if scored.key in rules:
            h = rules[scored.key].model_copy(deep=True)
            if claim is not None:
                h.evidence += _cited(claim, calls)
                h.source = "rules+llm"
        else:
            assert claim is not None
            found = grounds[scored.key]
            h = Hypothesis(
                service=claim.service,
                category=claim.category,
                confidence=0.0,
                source="llm",
                summary=f"{claim.category} on {claim.service}, named by the model: {claim.summary}"[:300],
                runbook_id=found[0].runbook_id,
                evidence=[
                    Evidence(
                        call_id=g.outcome.call_id or "",
                        tool=calls[g.outcome.call_id or ""]["tool"],
                        summary=f"✓ {g.outcome.check.name}: {g.outcome.detail}",
                        weight=g.outcome.check.weight,
                    )
                    for g in found[:3]
                ]
                + _cited(claim, calls),
            )
        h.confidence = scored.confidence
        out.append(h)

    notes = list(base.get("notes", []))
    if dropped:
        notes.append(
            f"LLM kept {len(kept)} hypothesis(es) with cited evidence ({len(grounds)} outside the rules "
            f"engine's list, grounded); dropped {len(dropped)} unsupported: " + "; ".join(dropped[:3])
        )
    leader = next(iter(hypotheses), None)
    recorded = [h for i, (key, h) in enumerate(rules.items()) if i < RECORDED_RULES or key in named]
    record = {
        **trust.as_dict(),
        "proposed": len(kept) + len(dropped),
        "kept": len(kept),
        "grounded": len(grounds),
        "dropped": len(dropped),
        "rules_leader": [leader.service, leader.category] if leader else None,
        "rules": [[h.service, h.category, round(h.confidence, 4)] for h in recorded],
        "named": [[c.service, c.category, round(c.confidence, 4), c.key in grounds] for c in kept],
    }
    update = {**base, "hypotheses": [h.model_dump() for h in out], "notes": notes, "trust": record}
    if out and base.get("verdict") in ("diagnosed", "no_fault"):
        update["verdict"] = "no_fault" if out[0].category == "no_fault" else "diagnosed"
    return update
