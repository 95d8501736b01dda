"""Andon's tools: telemetry, analysis and actuators, each declared once with its risk.

The public surface is small: :class:`Tool`, :class:`ToolResult`, :class:`Risk`,
:class:`ToolRegistry` and :func:`default_registry`. Backends are reached through
:mod:`tools.sources`, which a scenario or a test can swap.
"""

from tools.base import Risk, Tool, ToolContext, ToolResult
from tools.registry import ToolRegistry, default_registry

__all__ = ["Risk", "Tool", "ToolContext", "ToolResult", "ToolRegistry", "default_registry"]
