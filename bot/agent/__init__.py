"""The LangGraph agent: state, nodes, routing, and the graph topology (``graph.py``)."""
