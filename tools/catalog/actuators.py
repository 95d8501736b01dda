"""Actuators: tools that change systems. Declared here with their risk; the graph's ``act`` node is the
only caller, and only after a recorded approval (see bot/agent/nodes/act.py and bot/policy.py)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tools.base import Risk, Tool, ToolArgs, ToolContext, ToolResult

__all__ = ["actuator_tools", "ACTUATOR_NAMES"]


class ServiceAction(ToolArgs):
    service: str = Field(description="the service / deployment to act on")
    namespace: str | None = Field(None, description="Kubernetes namespace")
    dry_run: bool = Field(False, description="describe what would happen without doing it")


class RestartArgs(ServiceAction):
    strategy: str = Field("rolling", description="rolling (one replica at a time) or recreate (all at once)")


class DrainArgs(ServiceAction):
    target: str | None = Field(
        None, description="where drained messages go (e.g. a dead-letter queue); discarded when omitted"
    )


class ScaleArgs(ServiceAction):
    replicas: str = Field("+1", description="absolute count ('6') or relative ('+2')")


class RollbackArgs(ServiceAction):
    to_version: str | None = Field(None, description="version to roll back to; default the previous revision")


class FlagArgs(ServiceAction):
    flag: str = Field(description="feature-flag key")
    enabled: bool = Field(False, description="target state")


class SilenceArgs(ToolArgs):
    alertname: str = Field(description="alert to silence")
    service: str | None = None
    duration: str = Field("2h", description="how long, e.g. 30m, 2h")
    comment: str = Field("silenced by Andon after approval")
    dry_run: bool = False


class NodeArgs(ToolArgs):
    node: str = Field(description="node name")
    service: str | None = None
    dry_run: bool = False


class AutomationArgs(ToolArgs):
    job: str = Field(description="name of an automation hook configured in settings (never a URL)")
    service: str | None = None
    params: dict[str, str] = Field(default_factory=dict)
    dry_run: bool = False


def _run(action: str, effect: str) -> Any:
    def handler(ctx: ToolContext, args: ToolArgs) -> ToolResult:
        if ctx.sources.actuator is None:
            return ToolResult.error(f"no actuator backend is configured for {action}")
        params = args.model_dump(exclude_none=True)
        dry_run = bool(params.pop("dry_run", False)) or ctx.dry_run
        service = str(params.pop("service", "") or params.get("node", "") or "")
        try:
            outcome = ctx.sources.actuator.execute(action, service, params, dry_run)
        except Exception as exc:  # an actuator failure is a result, never a crash
            return ToolResult.error(f"{action} on {service or '?'} failed: {exc}")
        verb = "would " if dry_run else ""
        return ToolResult.ok(f"{verb}{effect.format(service=service or '?', **params)}", outcome)

    return handler


_SPECS: list[tuple[str, str, type[ToolArgs], Risk, str, str]] = [
    (
        "restart_service",
        "Rolling restart of a service's pods/processes.",
        RestartArgs,
        Risk.WRITE,
        "restart {service}",
        "none needed; pods come back with the same spec",
    ),
    (
        "scale_service",
        "Scale a service's replicas or workers.",
        ScaleArgs,
        Risk.WRITE,
        "scale {service} to {replicas}",
        "scale back to the previous replica count",
    ),
    (
        "rollback_deploy",
        "Roll a deployment back to its previous (or a given) revision.",
        RollbackArgs,
        Risk.WRITE,
        "roll back {service}",
        "redeploy the rolled-back version",
    ),
    (
        "toggle_flag",
        "Turn a feature flag on or off through the configured flag service.",
        FlagArgs,
        Risk.WRITE,
        "set flag {flag} on {service}",
        "set the flag back to its previous state",
    ),
    (
        "create_silence",
        "Create an Alertmanager silence for an alert.",
        SilenceArgs,
        Risk.WRITE,
        "silence {alertname} for {duration}",
        "expire the silence in Alertmanager",
    ),
    (
        "cordon_node",
        "Cordon a Kubernetes node so no new pods land on it (running pods stay).",
        NodeArgs,
        Risk.WRITE,
        "cordon {node}",
        "kubectl uncordon the node",
    ),
    (
        "drain_queue",
        "Discard the backlog of a queue a service consumes (messages are lost).",
        DrainArgs,
        Risk.DESTRUCTIVE,
        "drain the queue of {service}",
        "cannot be undone: discarded messages are gone",
    ),
    (
        "run_automation",
        "Trigger a named automation job (Jenkins/Rundeck) configured in settings.",
        AutomationArgs,
        Risk.WRITE,
        "run automation {job}",
        "depends on the job; see its documentation",
    ),
]

ACTUATOR_NAMES = frozenset(spec[0] for spec in _SPECS)


def actuator_tools() -> list[Tool]:
    return [
        Tool(name, description, model, risk, _run(name, effect), group="actuator", undo=undo)
        for name, description, model, risk, effect, undo in _SPECS
    ]
