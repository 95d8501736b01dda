"""Chat completions through the ``openai`` SDK, with token accounting and a JSON-mode fallback."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot.reasoners.llm.budget import estimate_tokens
from bot.settings import Settings
from tools.redaction import redact

__all__ = ["ChatClient", "ChatReply", "LLMError"]


class LLMError(RuntimeError):
    """The model endpoint failed or answered something unusable."""


@dataclass
class ChatReply:
    content: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    raw_message: dict[str, Any] = field(default_factory=dict)


def _parse_arguments(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        raise LLMError(f"malformed tool arguments: {str(raw)[:120]!r}") from exc
    if not isinstance(value, dict):
        raise LLMError(f"tool arguments are not an object: {str(raw)[:120]!r}")
    return value


def _redacted(message: dict[str, Any]) -> dict[str, Any]:
    """``message`` without secrets: the last stop before anything reaches the model endpoint."""
    out = dict(message)
    if isinstance(out.get("content"), str):
        out["content"] = redact(out["content"])
    if out.get("tool_calls"):
        out["tool_calls"] = [
            {**call, "function": {**call["function"], "arguments": redact(call["function"]["arguments"])}}
            if isinstance(call.get("function", {}).get("arguments"), str)
            else call
            for call in out["tool_calls"]
        ]
    return out


def extract_json(text: str) -> Any:
    """The first JSON object in ``text`` (models wrap JSON in prose or code fences)."""
    match = re.search(r"\{.*\}", text or "", re.S)
    if not match:
        raise LLMError(f"no JSON object in the model's answer: {str(text)[:120]!r}")
    try:
        return json.loads(match.group(0))
    except json.JSONDecodeError as exc:
        raise LLMError(f"invalid JSON in the model's answer: {exc}") from exc


class ChatClient:
    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        self.model = settings.model
        self.max_prompt_tokens = settings.max_prompt_tokens
        self.native_tools = True
        self._client = OpenAI(
            api_key=settings.secret("openai_api_key") or "not-needed",
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )

    def chat(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None, json_mode: bool = False
    ) -> ChatReply:
        import openai

        kwargs: dict[str, Any] = {"model": self.model, "messages": [_redacted(m) for m in messages], "temperature": 0}
        if tools and self.native_tools:
            kwargs["tools"] = tools
        if json_mode:
            kwargs["response_format"] = {"type": "json_object"}
        size = estimate_tokens(kwargs["messages"], kwargs.get("tools"))
        if size > self.max_prompt_tokens:  # the reasoner fits its prompts; this is the guarantee
            raise LLMError(
                f"prompt of ~{size} tokens is over the budget (ANDON_MAX_PROMPT_TOKENS={self.max_prompt_tokens})"
            )
        try:
            response = self._client.chat.completions.create(**kwargs)
        except openai.BadRequestError as exc:
            if "tools" in kwargs and "tool" in str(exc).lower():
                self.native_tools = False  # the endpoint cannot call tools: the caller switches to JSON mode
                raise LLMError("endpoint does not support tool calling") from exc
            if json_mode and "response_format" in str(exc):
                return self.chat(messages, None, json_mode=False)
            raise LLMError(f"model endpoint refused the request: {exc}") from exc
        except openai.OpenAIError as exc:
            raise LLMError(f"{type(exc).__name__}: {exc}") from exc
        if not response.choices:
            raise LLMError("model returned no choices")
        message = response.choices[0].message
        calls = []
        for call in message.tool_calls or []:
            function = getattr(call, "function", None)
            if function is None:
                continue
            calls.append({"id": call.id, "name": function.name, "args": _parse_arguments(function.arguments)})
        usage = response.usage
        raw: dict[str, Any] = {"role": "assistant", "content": message.content or ""}
        if message.tool_calls:
            raw["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.function.name, "arguments": c.function.arguments},
                }
                for c in message.tool_calls
                if getattr(c, "function", None)
            ]
        return ChatReply(
            content=message.content or "",
            tool_calls=calls,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            raw_message=raw,
        )
