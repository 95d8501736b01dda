"""The llm reasoner's plan/diagnose, bounded by the rules engine's evidence and the prompt budget."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.prompts import render
from bot.reasoners.llm.budget import CHARS_PER_TOKEN, clip, estimate_tokens, first_fitting, share_room
from bot.reasoners.llm.client import ChatClient, ChatReply, LLMError, extract_json
from bot.reasoners.llm.digest import DETAILS, Detail, digest
from bot.reasoners.llm.ranking import ask_for_diagnosis, rank_with_model
from bot.reasoners.llm.trust import Trust, load_trust
from bot.settings import Settings
from knowledge.taxonomy import categories
from tools.sources.timespec import to_datetime

if TYPE_CHECKING:
    from bot.agent.context import AgentContext
    from bot.agent.state import InvestigationState
    from bot.reasoners.rules import RulesReasoner

__all__ = ["LLMReasoner", "ANALYSES"]

ANALYSES = frozenset({"rank_anomalies", "correlate_changes", "log_template_spikes", "series_history"})
"""The rules engine's analyses: once they have run, the model reads them summarised per service and is
offered the raw reads instead (their schemas would take a third of the prompt budget)."""
OPENING_SHARE = 0.6
"""The most of the prompt budget the opening (instructions, tool schemas, evidence digest) may take: the
rest is for the results of the model's own calls."""
RESULT_CHARS = 2500
"""The most one result of the model's calls takes of the conversation (as sent, JSON escapes included)."""


def _tokens(state: InvestigationState, prompt: int, completion: int) -> dict[str, int]:
    """The incident's token count after one more model call (``calls``: how many requests it took)."""
    old = state.get("tokens") or {}
    p, c = int(old.get("prompt", 0)) + prompt, int(old.get("completion", 0)) + completion
    return {"prompt": p, "completion": c, "total": p + c, "calls": int(old.get("calls", 0)) + 1}


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


def _has(messages: list[dict[str, Any]], message: dict[str, Any]) -> bool:
    return any(m.get("content") == message["content"] for m in messages)


def _result(call: dict[str, Any], room: int) -> str:
    """A tool result as data for the model, its data cut so the message takes at most ``room`` characters
    of the request (as JSON, escapes included); the summary alone when even that leaves no room for data."""
    data = json.dumps(call.get("data"), default=str) if call.get("data") is not None else ""
    limit = len(data)
    while True:
        text = render(
            "_partials/tool_result",
            call={**call, "summary": clip(str(call.get("summary", "")), 400)},
            data=clip(data, limit) if limit > 0 else "",
        )
        excess = len(json.dumps(text)) - room
        if excess <= 0 or limit <= 0:
            return text
        limit = limit - excess - 16 if limit - excess - 16 > 40 else 0


class LLMReasoner:
    name = "llm"

    def __init__(self, settings: Settings, rules: RulesReasoner) -> None:
        self.settings = settings
        self.rules = rules
        self._client: ChatClient | None = None
        self._trust: Trust | None = None

    def client(self) -> ChatClient:
        if self._client is None:
            self._client = ChatClient(self.settings)
        return self._client

    def trust(self) -> Trust:
        """How much this model's ranking counts (its calibrated profile, else the conservative default)."""
        if self._trust is None:
            self._trust = load_trust(self.settings)
        return self._trust

    # ---------- plan ----------
    def plan(self, state: InvestigationState, ctx: AgentContext) -> dict[str, Any]:
        if state.get("round", 0) <= 1:
            return self.rules.plan(state, ctx)
        if not self.settings.llm_investigate:
            return {"investigated": True}
        try:
            return self._plan_with_model(state, ctx)
        except LLMError as exc:
            update: dict[str, Any] = {"investigated": True}
            update["reasoner"] = "rules"
            update["notes"] = [f"LLM failed ({exc}); fell back to the rules engine"]
            return update

    @staticmethod
    def _schemas(state: InvestigationState, ctx: AgentContext) -> list[dict[str, Any]]:
        ran = {c["tool"] for c in state.get("calls", [])} & ANALYSES
        return [s for s in ctx.registry.openai_schemas() if s["function"]["name"] not in ran]

    def _opening(
        self, state: InvestigationState, ctx: AgentContext, tools: list[dict[str, Any]], json_tools: dict[str, Any]
    ) -> list[dict[str, Any]] | None:
        """The system and user messages, with the tool schemas (native, or spelled out for JSON mode), at the
        most evidence detail that fits :data:`OPENING_SHARE` of the budget, else the least detail that fits
        all of it, else None."""
        preliminary = self.rules.diagnose(state, ctx)["hypotheses"][:3]
        incident = state["incident"]
        system = render(
            "investigate",
            categories=list(categories()),
            topology=ctx.sources.call_graph(),
            max_calls=max(ctx.settings.max_tool_calls - len(state.get("calls", [])), 0),
        )
        leading = list(dict.fromkeys(h["service"] for h in preliminary))

        def opening(detail: Detail) -> list[dict[str, Any]]:
            user = render(
                "investigate_user",
                incident={**incident, "text": clip(str(incident.get("text", "")), 600)},
                started=to_datetime(float(incident["started_at"])).isoformat(),
                runbooks=state.get("runbooks", [])[:3],
                similar=state.get("similar", [])[:3],
                hypotheses=preliminary,
                digest=digest(state.get("calls", []), leading, detail),
            )
            return [{"role": "system", "content": system}, {"role": "user", "content": user}]

        def size(messages: list[dict[str, Any]]) -> int:
            return max(estimate_tokens(messages, tools), estimate_tokens([*messages, json_tools]))

        budget = ctx.settings.max_prompt_tokens
        return first_fitting((opening(d) for d in DETAILS), size, int(budget * OPENING_SHARE)) or first_fitting(
            (opening(d) for d in DETAILS[-1:]), size, budget
        )

    def _answer_results(
        self, state: InvestigationState, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> None:
        """Answer the model's calls that ran since its last turn, sharing what is left of the budget."""
        answered = {m.get("tool_call_id") for m in messages if m.get("role") == "tool"}
        asked = {tc["id"] for m in messages if m.get("role") == "assistant" for tc in m.get("tool_calls", [])}
        todo = [(c, "tool") for c in state.get("calls", []) if c["id"] in asked and c["id"] not in answered]
        todo += [
            (c, "user")
            for c in state.get("calls", [])
            if c.get("by") == "llm-json" and not any(f'id="{c["id"]}"' in str(m.get("content")) for m in messages)
        ]
        room = (self.settings.max_prompt_tokens - estimate_tokens(messages, tools)) * CHARS_PER_TOKEN - 60 * len(todo)
        shares = share_room([len(json.dumps(_result(call, RESULT_CHARS))) for call, _ in todo], room, RESULT_CHARS)
        for (call, role), share in zip(todo, shares, strict=True):
            message = {"role": role, "content": _result(call, share)}
            if role == "tool":
                message["tool_call_id"] = call["id"]
            messages.append(message)

    def _plan_with_model(self, state: InvestigationState, ctx: AgentContext) -> dict[str, Any]:
        client = self.client()
        tools = self._schemas(state, ctx)
        offered = tools if client.native_tools else []
        json_tools = {"role": "system", "content": render("json_tools", tools=tools)}
        messages = list(state.get("llm_messages") or [])
        if not messages:
            opening = self._opening(state, ctx, tools, json_tools)
            if opening is None:
                return self._stop(
                    f"its opening prompt does not fit the prompt budget ({ctx.settings.max_prompt_tokens} tokens)"
                )
            messages = opening
        self._answer_results(
            state, messages, offered if client.native_tools or _has(messages, json_tools) else [json_tools]
        )
        if estimate_tokens(messages, offered) > ctx.settings.max_prompt_tokens:
            return self._stop(f"prompt budget ({ctx.settings.max_prompt_tokens} tokens) reached")
        try:
            reply = client.chat(messages, tools=tools) if client.native_tools else None
        except LLMError:
            if client.native_tools:
                raise
            reply = None
        if reply is None:
            return self._plan_json_mode(state, messages, json_tools)
        _unique_call_ids(reply, state, messages)
        messages.append(reply.raw_message)
        update: dict[str, Any] = {
            "llm_messages": messages,
            "tokens": _tokens(state, reply.prompt_tokens, reply.completion_tokens),
        }
        if reply.tool_calls:
            update["pending"] = [
                {"id": c["id"], "tool": c["name"], "args": c["args"], "by": "llm"} for c in reply.tool_calls
            ]
        else:
            update["investigated"] = True
        return update

    @staticmethod
    def _stop(why: str) -> dict[str, Any]:
        return {"investigated": True, "notes": [f"the model stopped investigating: {why}"]}

    def _plan_json_mode(
        self, state: InvestigationState, messages: list[dict[str, Any]], json_tools: dict[str, Any]
    ) -> dict[str, Any]:
        client = self.client()
        if not _has(messages, json_tools):
            messages.insert(1, json_tools)
        if estimate_tokens(messages) > self.settings.max_prompt_tokens:
            return self._stop(f"prompt budget ({self.settings.max_prompt_tokens} tokens) reached")
        reply = client.chat(messages, json_mode=True)
        messages.append({"role": "assistant", "content": reply.content})
        update: dict[str, Any] = {
            "llm_messages": messages,
            "tokens": _tokens(state, reply.prompt_tokens, reply.completion_tokens),
        }
        answer = extract_json(reply.content)
        if isinstance(answer, dict) and answer.get("tool") and not answer.get("done"):
            call_id = f"j{len(state.get('calls', [])) + 1}"
            update["pending"] = [
                {"id": call_id, "tool": str(answer["tool"]), "args": dict(answer.get("args") or {}), "by": "llm-json"}
            ]
        else:
            update["investigated"] = True
        return update

    # ---------- diagnose ----------
    def diagnose(self, state: InvestigationState, ctx: AgentContext) -> dict[str, Any]:
        base = self.rules.diagnose(state, ctx)
        if state.get("reasoner") != "llm":
            return base

        def failed(exc: Exception) -> dict[str, Any]:
            note = f"LLM diagnosis failed ({exc}); used the rules engine's ranking"
            return {**base, "reasoner": "rules", "notes": [note]}

        try:
            reply = ask_for_diagnosis(self.client(), state, ctx, base)
        except LLMError as exc:
            return failed(exc)
        tokens = _tokens(state, reply.prompt_tokens, reply.completion_tokens)
        try:
            update = rank_with_model(reply, state, ctx, base, self.trust())
        except (LLMError, ValueError) as exc:
            return {**failed(exc), "tokens": tokens}
        return {**update, "tokens": tokens}
