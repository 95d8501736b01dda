"""Node bodies, one module per stage. ``graph.py`` wires them; nothing here knows the topology."""

from bot.agent.nodes.approval import act, await_approval
from bot.agent.nodes.closing import report, verify
from bot.agent.nodes.diagnosis import diagnose, propose
from bot.agent.nodes.investigation import investigate, run_tools
from bot.agent.nodes.opening import intake, retrieve

__all__ = [
    "act",
    "await_approval",
    "diagnose",
    "intake",
    "investigate",
    "propose",
    "report",
    "retrieve",
    "run_tools",
    "verify",
]
