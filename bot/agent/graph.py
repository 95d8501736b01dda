"""The investigation graph — topology only; node bodies live in ``bot.agent.nodes``.

intake → retrieve → investigate ⇄ tools
                       ↓
                    diagnose → propose → [await_approval] → act → verify → report
                                   └──────────────→ report (nothing to approve / propose-only)
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

from bot.agent import nodes
from bot.agent.context import AgentContext
from bot.agent.routing import after_investigate, after_propose
from bot.agent.state import InvestigationInput, InvestigationState

__all__ = ["build_graph"]


def build_graph(checkpointer: Any = None) -> Any:
    graph = StateGraph(InvestigationState, context_schema=AgentContext, input_schema=InvestigationInput)
    graph.add_node("intake", nodes.intake)
    graph.add_node("retrieve", nodes.retrieve)
    graph.add_node("investigate", nodes.investigate)
    graph.add_node("tools", nodes.run_tools)
    graph.add_node("diagnose", nodes.diagnose)
    graph.add_node("propose", nodes.propose)
    graph.add_node("await_approval", nodes.await_approval)
    graph.add_node("act", nodes.act)
    graph.add_node("verify", nodes.verify)
    graph.add_node("report", nodes.report)

    graph.add_edge(START, "intake")
    graph.add_edge("intake", "retrieve")
    graph.add_edge("retrieve", "investigate")
    graph.add_conditional_edges("investigate", after_investigate)
    graph.add_edge("tools", "investigate")
    graph.add_edge("diagnose", "propose")
    graph.add_conditional_edges("propose", after_propose)
    graph.add_edge("await_approval", "act")
    graph.add_edge("act", "verify")
    graph.add_edge("verify", "report")
    graph.add_edge("report", END)
    return graph.compile(checkpointer=checkpointer)
