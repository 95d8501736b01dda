"""Chat completions through the ``openai`` SDK, with token accounting and a JSON-mode fallback."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot.reasoners.llm.budget import estimate_tokens
from bot.settings import Settings
from tools.redaction import redact

__all__ = ["ChatClient", "ChatReply", "LLMError", "JSON_FORMATS"]

JSON_FORMATS = ("json_schema", "json_object+schema", "json_object", "none")
"""How a JSON answer is asked for, most constrained first: OpenAI's structured outputs (also vLLM, Ollama,
llama.cpp's llama-server), a JSON object with a ``schema`` beside it (llama-cpp-python's server), any JSON
object, or nothing but the prompt. An endpoint that refuses one is asked the next way from then on."""


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


def _way(response_format: dict[str, Any]) -> str:
    """Which of :data:`JSON_FORMATS` ``response_format`` is."""
    if response_format["type"] == "json_schema":
        return "json_schema"
    return "json_object+schema" if "schema" in response_format else "json_object"


class ChatClient:
    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        self.model = settings.model
        self.max_prompt_tokens = settings.max_prompt_tokens
        self.native_tools = True
        self.output_cap = "max_tokens"
        """How the endpoint takes the answer's token cap: ``max_tokens``, or ``max_completion_tokens`` for the
        OpenAI models that refuse the older name."""
        self.max_output_tokens = settings.max_output_tokens
        self.json_format = 0
        """Index into :data:`JSON_FORMATS` of the first way this endpoint has not refused."""
        self._client = OpenAI(
            api_key=settings.secret("openai_api_key") or "not-needed",
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )

    def _response_format(self, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        formats = [f for f in JSON_FORMATS[self.json_format :] if schema is not None or "schema" not in f]
        way = formats[0]
        if way == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}
        if way == "json_object+schema":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_object"} if way == "json_object" else None

    def chat(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        json_mode: bool = False,
        schema: dict[str, Any] | None = None,
    ) -> ChatReply:
        """One completion. With ``json_mode`` the answer is asked for as JSON, constrained to ``schema`` where
        the endpoint takes one; the answer takes at most ``ANDON_MAX_OUTPUT_TOKENS``."""
        import openai

        kwargs: dict[str, Any] = {"model": self.model, "messages": [_redacted(m) for m in messages], "temperature": 0}
        kwargs[self.output_cap] = self.max_output_tokens
        if tools and self.native_tools:
            kwargs["tools"] = tools
        response_format = self._response_format(schema) if json_mode else None
        if response_format is not None:
            kwargs["response_format"] = response_format
        size = estimate_tokens(kwargs["messages"], kwargs.get("tools"))
        if size > self.max_prompt_tokens:  # the reasoner fits its prompts; this is the guarantee
            raise LLMError(
                f"prompt of ~{size} tokens is over the budget (ANDON_MAX_PROMPT_TOKENS={self.max_prompt_tokens})"
            )
        try:
            response = self._client.chat.completions.create(**kwargs)
        except openai.APIStatusError as exc:
            refused = exc.status_code in (400, 422, 500)
            if refused and "tools" in kwargs and "tool" in str(exc).lower() and exc.status_code == 400:
                self.native_tools = False  # the endpoint cannot call tools: the caller switches to JSON mode
                raise LLMError("endpoint does not support tool calling") from exc
            if refused and response_format is not None and ("response_format" in str(exc) or "schema" in str(exc)):
                self.json_format = max(self.json_format, JSON_FORMATS.index(_way(response_format)) + 1)
                return self.chat(messages, tools, json_mode, schema)
            if refused and self.output_cap == "max_tokens" and "max_completion_tokens" in str(exc):
                self.output_cap = "max_completion_tokens"
                return self.chat(messages, tools, json_mode, schema)
            if exc.status_code == 400:
                raise LLMError(f"model endpoint refused the request: {exc}") from exc
            raise LLMError(f"{type(exc).__name__}: {exc}") from exc
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
