"""The tool registry: validates arguments, runs handlers under a timeout, truncates and redacts output,
and turns declarations into OpenAI tool schemas."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from pydantic import ValidationError

from tools.base import Risk, Tool, ToolContext, ToolResult
from tools.redaction import redact, redact_data

__all__ = ["ToolRegistry", "default_registry", "MAX_SUMMARY_CHARS", "MAX_DATA_CHARS"]

MAX_SUMMARY_CHARS = 600
MAX_DATA_CHARS = 12_000


def _truncate_data(data: Any, limit: int = MAX_DATA_CHARS) -> Any:
    text = json.dumps(data, default=str)
    if len(text) <= limit:
        return data
    if isinstance(data, list):
        kept: list[Any] = []
        size = 2
        for item in data:
            size += len(json.dumps(item, default=str)) + 2
            if size > limit:
                break
            kept.append(item)
        return {"truncated": True, "total_items": len(data), "items": kept}
    return {"truncated": True, "preview": text[:MAX_DATA_CHARS]}


class ToolRegistry:
    """All the tools an investigation may use, by name."""

    def __init__(self, tools: list[Tool]) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            if tool.name in self._tools:
                raise ValueError(f"tool {tool.name!r} is declared twice")
            self._tools[tool.name] = tool
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="andon-tool")

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except KeyError:
            raise KeyError(f"unknown tool {name!r}; known: {', '.join(sorted(self._tools))}") from None

    def all(self) -> list[Tool]:
        return list(self._tools.values())

    def read_only(self) -> list[Tool]:
        return [t for t in self._tools.values() if t.risk is Risk.READ]

    def openai_schemas(self, tools: list[Tool] | None = None) -> list[dict[str, Any]]:
        """Chat-completions ``tools=`` entries for ``tools`` (default: the read-only ones)."""
        chosen = tools if tools is not None else self.read_only()
        return [
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": t.json_schema()},
            }
            for t in chosen
        ]

    def run(self, name: str, args: dict[str, Any], ctx: ToolContext, timeout_s: float | None = None) -> ToolResult:
        """Validate ``args``, run the tool, and return a redacted, size-bounded result. Never raises."""
        try:
            tool = self.get(name)
            parsed = tool.args_model.model_validate(args or {})
        except KeyError as exc:
            return ToolResult.error(str(exc.args[0]))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'args'}: {e['msg']}" for e in exc.errors())
            return ToolResult.error(f"invalid arguments for {name}: {problems}")
        future = self._pool.submit(tool.handler, ctx, parsed)
        try:
            result = future.result(timeout=timeout_s or tool.timeout_s)
        except FutureTimeout:
            return ToolResult.error(f"{name} timed out after {timeout_s or tool.timeout_s:.0f}s")
        except Exception as exc:  # a failing backend degrades the answer, never crashes the bot
            return ToolResult.error(redact(f"{name} failed: {type(exc).__name__}: {exc}"))  # URLs may hold passwords
        summary = redact(result.summary)
        if len(summary) > MAX_SUMMARY_CHARS:
            summary = summary[:MAX_SUMMARY_CHARS] + "… (truncated)"
        return ToolResult(
            status=result.status, summary=summary, data=_truncate_data(redact_data(result.data), tool.max_data_chars)
        )


def default_registry(extra: list[Tool] | None = None) -> ToolRegistry:
    """Every built-in tool (telemetry, analysis, actuators) plus ``extra`` ones (e.g. the lab's)."""
    from tools.catalog.actuators import actuator_tools
    from tools.catalog.analysis import analysis_tools
    from tools.catalog.telemetry import telemetry_tools

    return ToolRegistry(telemetry_tools() + analysis_tools() + actuator_tools() + list(extra or []))
