"""The llm reasoner's plan/diagnose, bounded by the rules engine's evidence."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.models import Evidence, Hypothesis
from bot.prompts import render
from bot.reasoners.llm.client import ChatClient, ChatReply, LLMError, extract_json
from bot.settings import Settings
from knowledge.taxonomy import categories
from tools.sources.timespec import to_datetime

if TYPE_CHECKING:
    from bot.agent.context import AgentContext
    from bot.agent.state import InvestigationState
    from bot.reasoners.rules import RulesReasoner

__all__ = ["LLMReasoner", "MAX_LLM_BOOST"]

MAX_LLM_BOOST = 0.1
"""The most the model can add to a hypothesis's confidence: it re-orders close calls, never overrides evidence."""


def _tokens(state: InvestigationState, prompt: int, completion: int) -> dict[str, int]:
    old = state.get("tokens") or {}
    p, c = int(old.get("prompt", 0)) + prompt, int(old.get("completion", 0)) + completion
    return {"prompt": p, "completion": c, "total": p + c}


def _data_preview(data: Any, limit: int = 2500) -> str:
    text = json.dumps(data, default=str) if data is not None else ""
    return text[:limit] + ("…" if len(text) > limit else "")


def _unique_call_ids(reply: ChatReply, state: InvestigationState, messages: list[dict[str, Any]]) -> None:
    """Give each tool call in ``reply`` an id no earlier call used: small models repeat ids (``call_0``) or
    reuse the rules engine's (``c1``), and every id must be answered by exactly one ``tool`` message."""
    used = {str(c["id"]) for c in state.get("calls", [])}
    used |= {str(tc.get("id")) for m in messages for tc in m.get("tool_calls") or []}
    raw_calls = reply.raw_message.get("tool_calls") or []
    for index, call in enumerate(reply.tool_calls):
        if not call["id"] or call["id"] in used:
            call["id"] = f"llm{len(used) + 1}"
            while call["id"] in used:
                call["id"] += "x"
            if index < len(raw_calls):
                raw_calls[index]["id"] = call["id"]
        used.add(call["id"])


class LLMReasoner:
    name = "llm"

    def __init__(self, settings: Settings, rules: RulesReasoner) -> None:
        self.settings = settings
        self.rules = rules
        self._client: ChatClient | None = None

    def client(self) -> ChatClient:
        if self._client is None:
            self._client = ChatClient(self.settings)
        return self._client

    # ---------- plan ----------
    def plan(self, state: InvestigationState, ctx: AgentContext) -> dict[str, Any]:
        if state.get("round", 0) <= 1:
            return self.rules.plan(state, ctx)
        try:
            return self._plan_with_model(state, ctx)
        except LLMError as exc:
            update: dict[str, Any] = {"investigated": True}
            update["reasoner"] = "rules"
            update["notes"] = [f"LLM failed ({exc}); fell back to the rules engine"]
            return update

    def _opening(self, state: InvestigationState, ctx: AgentContext) -> list[dict[str, Any]]:
        preliminary = self.rules.diagnose(state, ctx)["hypotheses"][:3]
        incident = state["incident"]
        system = render("investigate", categories=list(categories()), topology=ctx.sources.call_graph(),
                        max_calls=max(ctx.settings.max_tool_calls - len(state.get("calls", [])), 0))
        user = render("investigate_user", incident=incident, started=to_datetime(float(incident["started_at"])).isoformat(),
                      runbooks=state.get("runbooks", [])[:3], similar=state.get("similar", [])[:3],
                      hypotheses=preliminary, calls=state.get("calls", []))
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def _plan_with_model(self, state: InvestigationState, ctx: AgentContext) -> dict[str, Any]:
        client = self.client()
        messages = list(state.get("llm_messages") or []) or self._opening(state, ctx)
        answered = {m.get("tool_call_id") for m in messages if m.get("role") == "tool"}
        asked = [tc["id"] for m in messages if m.get("role") == "assistant" for tc in m.get("tool_calls", [])]
        for call in state.get("calls", []):
            if call["id"] in asked and call["id"] not in answered:
                messages.append({"role": "tool", "tool_call_id": call["id"],
                                 "content": render("_partials/tool_result", call=call, data=_data_preview(call.get("data")))})
            elif call.get("by") == "llm-json" and not any(call["id"] in str(m.get("content")) for m in messages):
                messages.append({"role": "user", "content": render("_partials/tool_result", call=call,
                                                                   data=_data_preview(call.get("data")))})
        schemas = ctx.registry.openai_schemas()
        try:
            reply = client.chat(messages, tools=schemas) if client.native_tools else None
        except LLMError:
            if client.native_tools:
                raise
            reply = None
        if reply is None:
            return self._plan_json_mode(state, ctx, messages, schemas)
        _unique_call_ids(reply, state, messages)
        messages.append(reply.raw_message)
        update: dict[str, Any] = {"llm_messages": messages, "tokens": _tokens(state, reply.prompt_tokens,
                                                                              reply.completion_tokens)}
        if reply.tool_calls:
            update["pending"] = [{"id": c["id"], "tool": c["name"], "args": c["args"], "by": "llm"}
                                 for c in reply.tool_calls]
        else:
            update["investigated"] = True
        return update

    def _plan_json_mode(self, state: InvestigationState, ctx: AgentContext, messages: list[dict[str, Any]],
                        schemas: list[dict[str, Any]]) -> dict[str, Any]:
        client = self.client()
        if not any("does not support native tool calling" in str(m.get("content")) for m in messages):
            messages.insert(1, {"role": "system", "content": render("json_tools", tools=schemas)})
        reply = client.chat(messages, json_mode=True)
        messages.append({"role": "assistant", "content": reply.content})
        update: dict[str, Any] = {"llm_messages": messages, "tokens": _tokens(state, reply.prompt_tokens,
                                                                              reply.completion_tokens)}
        answer = extract_json(reply.content)
        if isinstance(answer, dict) and answer.get("tool") and not answer.get("done"):
            call_id = f"j{len(state.get('calls', [])) + 1}"
            update["pending"] = [{"id": call_id, "tool": str(answer["tool"]), "args": dict(answer.get("args") or {}),
                                  "by": "llm-json"}]
        else:
            update["investigated"] = True
        return update

    # ---------- diagnose ----------
    def diagnose(self, state: InvestigationState, ctx: AgentContext) -> dict[str, Any]:
        base = self.rules.diagnose(state, ctx)
        if state.get("reasoner") != "llm":
            return base
        try:
            return self._rerank(state, ctx, base)
        except LLMError as exc:
            return {**base, "reasoner": "rules", "notes": [f"LLM diagnosis failed ({exc}); used the rules engine's ranking"]}

    def _rerank(self, state: InvestigationState, ctx: AgentContext, base: dict[str, Any]) -> dict[str, Any]:
        hypotheses = [Hypothesis.model_validate(h) for h in base["hypotheses"]]
        calls = {c["id"]: c for c in state.get("calls", [])}
        services = sorted({h.service for h in hypotheses} | set(ctx.sources.services))
        prompt = render("diagnose", categories=list(categories()), services=services, incident=state["incident"],
                        hypotheses=[h.model_dump() for h in hypotheses[:5]], calls=list(calls.values()))
        reply = self.client().chat([{"role": "user", "content": prompt}], json_mode=True)
        tokens = _tokens(state, reply.prompt_tokens, reply.completion_tokens)
        answer = extract_json(reply.content)
        proposed = answer.get("hypotheses") if isinstance(answer, dict) else None
        if not isinstance(proposed, list):
            raise LLMError("diagnosis JSON has no 'hypotheses' list")
        kept, dropped = 0, 0
        for item in proposed[:5]:
            supported = self._supported(item, calls, services)
            if supported is None:
                dropped += 1
                continue
            service, category, confidence, cited, summary = supported
            match = next((h for h in hypotheses if h.service == service and h.category == category), None)
            if match is None:
                dropped += 1
                continue
            match.confidence = round(min(match.confidence + MAX_LLM_BOOST * confidence, 0.99), 3)
            match.evidence += [Evidence(call_id=c, tool=calls[c]["tool"], summary=f"model: {summary}"[:300])
                               for c in cited[:2]]
            match.source = "rules+llm"
            kept += 1
        hypotheses.sort(key=lambda h: h.confidence, reverse=True)
        notes = list(base.get("notes", []))
        if dropped:
            notes.append(f"LLM kept {kept} hypothesis(es) with cited evidence; dropped {dropped} without support")
        return {**base, "hypotheses": [h.model_dump() for h in hypotheses], "tokens": tokens, "notes": notes}

    @staticmethod
    def _supported(item: Any, calls: dict[str, dict[str, Any]], services: list[str]
                   ) -> tuple[str, str, float, list[str], str] | None:
        """The hypothesis if its service/category are valid and a cited call's result mentions the service."""
        if not isinstance(item, dict):
            return None
        service, category = str(item.get("service", "")), str(item.get("category", ""))
        if service not in services or category not in categories():
            return None
        try:
            confidence = min(max(float(item.get("confidence", 0.5)), 0.0), 1.0)
        except (TypeError, ValueError):
            return None
        cited = [str(c) for c in item.get("evidence") or [] if str(c) in calls]
        cited = [c for c in cited if service in calls[c].get("summary", "") + json.dumps(calls[c].get("data"), default=str)]
        if not cited:
            return None
        return service, category, confidence, cited, str(item.get("summary", ""))[:300]
