"""The shape every tool shares: a declaration (name, description, args model, risk) and a result."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from tools.rca.params import Params
from tools.sources.base import Sources

__all__ = ["Risk", "Tool", "ToolContext", "ToolResult", "ToolArgs"]


class Risk(StrEnum):
    """How much harm a tool can do. The graph, not the tool, enforces approval."""

    READ = "read"
    WRITE = "write"
    DESTRUCTIVE = "destructive"


Status = Literal["ok", "no_data", "error"]


class ToolResult(BaseModel):
    """What a tool returns: an explicit status, a one-line human summary, and structured data."""

    status: Status
    summary: str
    data: Any = None

    @classmethod
    def ok(cls, summary: str, data: Any = None) -> ToolResult:
        return cls(status="ok", summary=summary, data=data)

    @classmethod
    def no_data(cls, summary: str, data: Any = None) -> ToolResult:
        return cls(status="no_data", summary=summary, data=data)

    @classmethod
    def error(cls, summary: str) -> ToolResult:
        return cls(status="error", summary=summary, data=None)


class ToolArgs(BaseModel):
    """Base for tool argument models: unknown fields are refused so a model's typo is an error."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class ToolContext:
    """What a tool handler may use: the telemetry sources and the time the incident is judged at."""

    sources: Sources
    now: float = field(default_factory=time.time)
    onset: float | None = None
    dry_run: bool = False
    params: Params = field(default_factory=Params)
    """The RCA engine's parameters (the analysis tools score with them)."""


@dataclass(frozen=True)
class Tool:
    """One tool, declared once: the args model gives the LLM its JSON schema; the risk gates execution."""

    name: str
    description: str
    args_model: type[ToolArgs]
    risk: Risk
    handler: Callable[[ToolContext, Any], ToolResult]
    group: str = "telemetry"
    timeout_s: float = 20.0
    undo: str = ""
    max_data_chars: int = 12_000

    def json_schema(self) -> dict[str, Any]:
        schema = self.args_model.model_json_schema()
        schema.pop("title", None)
        return schema
