"""The action patterns a scenario's ``expected.actions`` and ``expected.forbidden`` list, and matching
proposals against them.

A pattern is ``tool``, ``tool:service``, either followed by a qualifier in parentheses:
``scale_service(up)`` / ``scale_service(down)`` tell the direction of a scaling apart, and
``run_automation(job=flush-dns-cache)`` or ``toggle_flag(flag=new-ranker)`` name an argument's value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tools.catalog.actuators import ACTUATOR_NAMES

__all__ = ["ActionPattern", "parse_pattern", "matches_any", "scale_direction"]

_PATTERN = re.compile(r"^\s*(?P<tool>[a-z_]+)(?::(?P<service>[^()\s]+))?\s*(?:\((?P<qualifier>[^()]*)\))?\s*$")


@dataclass(frozen=True)
class ActionPattern:
    tool: str
    service: str | None = None
    direction: str | None = None
    """``up`` or ``down`` for a scaling."""
    args: dict[str, str] = field(default_factory=dict)

    def matches(self, proposal: dict[str, Any]) -> bool:
        args = proposal.get("args") or {}
        if proposal.get("tool") != self.tool:
            return False
        if self.service is not None and str(args.get("service", "")) != self.service:
            return False
        if self.direction is not None and scale_direction(args) != self.direction:
            return False
        return all(
            str(args.get(key, (args.get("params") or {}).get(key, ""))) == value for key, value in self.args.items()
        )


def parse_pattern(text: str) -> ActionPattern:
    """The pattern ``text`` spells; a ValueError names what is wrong with it."""
    match = _PATTERN.match(str(text))
    if not match:
        raise ValueError(f"action pattern {text!r}: use tool, tool:service, tool(up|down) or tool(key=value)")
    tool = match.group("tool")
    if tool not in ACTUATOR_NAMES:
        raise ValueError(f"action pattern {text!r}: unknown tool {tool!r} (one of {', '.join(sorted(ACTUATOR_NAMES))})")
    direction, args = None, {}
    for part in filter(None, (p.strip() for p in (match.group("qualifier") or "").split(","))):
        if part in ("up", "down"):
            direction = part
        elif "=" in part:
            key, _, value = part.partition("=")
            args[key.strip()] = value.strip()
        else:
            raise ValueError(f"action pattern {text!r}: qualifier {part!r} is neither up, down nor key=value")
    return ActionPattern(tool, match.group("service"), direction, args)


def scale_direction(args: dict[str, Any]) -> str | None:
    """``up`` or ``down`` for a scaling's ``replicas`` argument ('+2', '-1'; an absolute count cannot tell)."""
    replicas = str(args.get("replicas", "")).strip()
    if replicas.startswith("+"):
        return "up"
    if replicas.startswith("-"):
        return "down"
    return None


def matches_any(proposal: dict[str, Any], patterns: list[str]) -> bool:
    return any(parse_pattern(p).matches(proposal) for p in patterns)
