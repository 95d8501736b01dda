"""The registry: declared tools and schemas, argument validation, timeouts, truncation, redaction."""

from __future__ import annotations

import time
from typing import Any

from pydantic import Field

from tools import Risk, Tool, ToolContext, ToolRegistry, ToolResult, default_registry
from tools.base import ToolArgs
from tools.sources import Sources


class EchoArgs(ToolArgs):
    text: str = Field(description="what to echo")
    repeat: int = 1


def _echo(ctx: ToolContext, args: Any) -> ToolResult:
    return ToolResult.ok(args.text * args.repeat, [args.text] * args.repeat)


def _slow(ctx: ToolContext, args: Any) -> ToolResult:
    time.sleep(2)
    return ToolResult.ok("late")


def _boom(ctx: ToolContext, args: Any) -> ToolResult:
    raise ConnectionError("prometheus down")


def _leaky(ctx: ToolContext, args: Any) -> ToolResult:
    raise ConnectionError("cannot reach https://admin:hunter2-prod@prometheus.internal/api/v1/query")


def registry() -> ToolRegistry:
    return ToolRegistry(
        [
            Tool("echo", "Echo text.", EchoArgs, Risk.READ, _echo),
            Tool("slow", "Sleeps.", EchoArgs, Risk.READ, _slow, timeout_s=0.2),
            Tool("boom", "Fails.", EchoArgs, Risk.READ, _boom),
            Tool("leaky", "Fails naming its URL.", EchoArgs, Risk.READ, _leaky),
        ]
    )


CTX = ToolContext(sources=Sources())


def test_default_registry_covers_every_group_with_risks_and_schemas() -> None:
    tools = default_registry().all()
    assert len(tools) >= 15
    assert {t.group for t in tools} >= {"telemetry", "analysis", "actuator"}
    assert {t.risk for t in tools} == {Risk.READ, Risk.WRITE, Risk.DESTRUCTIVE}
    for tool in tools:
        assert tool.json_schema()["type"] == "object", tool.name
    assert all(s["function"]["name"] for s in default_registry().openai_schemas())
    assert not any(
        s["function"]["name"] in ("drain_queue", "rollback_deploy") for s in default_registry().openai_schemas()
    ), "the model only sees read-only tools"


def test_bad_arguments_are_a_clear_error_not_a_crash() -> None:
    result = registry().run("echo", {"text": "x", "colour": "red"}, CTX)
    assert result.status == "error" and "colour" in result.summary
    assert registry().run("echo", {}, CTX).status == "error"
    assert "unknown tool" in registry().run("nope", {}, CTX).summary


def test_timeouts_and_backend_failures_become_error_results() -> None:
    assert "timed out" in registry().run("slow", {"text": "x"}, CTX).summary
    failed = registry().run("boom", {"text": "x"}, CTX)
    assert failed.status == "error" and "prometheus down" in failed.summary


def test_a_backend_error_naming_a_url_with_a_password_is_redacted() -> None:
    failed = registry().run("leaky", {"text": "x"}, CTX)
    assert failed.status == "error" and "prometheus.internal" in failed.summary
    assert "hunter2" not in failed.summary


def test_output_is_truncated_and_redacted() -> None:
    result = registry().run("echo", {"text": "token=xoxb-1234567890-abcdefghij ", "repeat": 2000}, CTX)
    assert len(result.summary) < 700 and "xoxb-1234567890" not in result.summary
    assert isinstance(result.data, dict) and result.data["truncated"]
    assert "xoxb-1234567890" not in str(result.data)


def test_duplicate_names_are_refused() -> None:
    tool = Tool("echo", "Echo.", EchoArgs, Risk.READ, _echo)
    try:
        ToolRegistry([tool, tool])
    except ValueError as exc:
        assert "declared twice" in str(exc)
    else:
        raise AssertionError("duplicate tool names must be refused")
