"""The approval policy: who may approve what, how many approvers, blast radius, rate limits and
the self-healing allowlist. Loaded and validated at start-up; an invalid file fails with its line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

__all__ = ["Policy", "PolicyError", "load_policy", "AutoRule"]


class PolicyError(ValueError):
    pass


class AutoRule(BaseModel):
    model_config = {"extra": "forbid"}
    tool: str
    services: list[str] = Field(default_factory=list)


class RateLimits(BaseModel):
    model_config = {"extra": "forbid"}
    per_incident: int = Field(3, ge=0)
    per_hour: int = Field(10, ge=0)


class Policy(BaseModel):
    model_config = {"extra": "forbid"}
    approvers: list[str] = Field(default_factory=list)
    approvals_required: dict[Literal["write", "destructive"], Annotated[int, Field(ge=1)]] = Field(
        default_factory=lambda: {"write": 1, "destructive": 2}  # type: ignore[arg-type]
    )
    expiry_minutes: float = Field(30, gt=0)
    allowed_services: list[str] = Field(default_factory=lambda: ["*"])
    allowed_namespaces: list[str] = Field(default_factory=lambda: ["*"])
    rate_limits: RateLimits = Field(default_factory=lambda: RateLimits(per_incident=3, per_hour=10))
    dry_run_first: list[Literal["write", "destructive"]] = Field(default_factory=lambda: ["destructive"])  # type: ignore[arg-type]
    auto_execute: list[AutoRule] = Field(default_factory=list)
    responders: list[str] = Field(default_factory=list)
    """Users (U…) or groups (S…) on call besides the approvers: they see every channel's incidents, and
    what they resolve is learned from at once."""
    commands: dict[Literal["resolve", "declare", "note", "postmortem"], list[str]] = Field(default_factory=dict)
    """Who may run these ``/andon`` subcommands (users or groups); a subcommand not listed is open to all."""

    def may_approve(self, user: str, groups: list[str] | None = None) -> bool:
        if not user:
            return False
        return user in self.approvers or any(g in self.approvers for g in groups or [])

    def is_responder(self, user: str, groups: list[str] | None = None) -> bool:
        """An approver or a responder: someone whose word on an incident counts."""
        people = set(self.approvers) | set(self.responders)
        return bool(user) and (user in people or any(g in people for g in groups or []))

    def may_run(self, command: str, user: str, groups: list[str] | None = None) -> bool:
        allowed = self.commands.get(command)  # type: ignore[call-overload]
        if allowed is None:
            return True
        return bool(user) and (user in allowed or any(g in allowed for g in groups or []))

    def groups_named(self) -> list[str]:
        """Every user group the policy names (S…), to look up who is in them."""
        named = [*self.approvers, *self.responders, *(x for people in self.commands.values() for x in people)]
        return sorted({x for x in named if x.startswith("S")})

    def required(self, risk: str) -> int:
        if risk == "read":
            return 0
        return max(1, int(self.approvals_required.get(risk, 2 if risk == "destructive" else 1)))  # type: ignore[call-overload]

    def target_allowed(self, service: str, namespace: str | None = None) -> bool:
        ok_service = "*" in self.allowed_services or service in self.allowed_services
        ok_ns = namespace is None or "*" in self.allowed_namespaces or namespace in self.allowed_namespaces
        return ok_service and ok_ns

    def auto_executes(self, tool: str, risk: str, service: str) -> bool:
        """Self-healing: only ``write`` actions explicitly allowlisted for the named service."""
        if risk != "write":
            return False
        return any(rule.tool == tool and service in rule.services for rule in self.auto_execute)


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest YAML node on the path ``loc`` (a pydantic error location)."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(part)), None)
            if found is None:
                break
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def load_policy(path: Path | None = None, approvers: list[str] | None = None) -> Policy:
    """The policy at ``path`` (or the bundled default), with ``approvers`` added."""
    source = path or Path(__file__).with_name("policy.default.yaml")
    try:
        text = source.read_text()
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {source}: {exc}") from exc
    try:
        data: Any = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise PolicyError(f"{source}{where}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: the policy must be a mapping")
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        line = _line_of(text, tuple(first["loc"]))
        where = f" line {line}" if line else ""
        raise PolicyError(f"{source}{where}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
    if approvers:
        policy.approvers = sorted(set(policy.approvers) | set(approvers))
    return policy
