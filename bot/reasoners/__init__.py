"""Two ways of reasoning behind one interface: ``rules`` (no LLM) and ``llm`` (any OpenAI-compatible model)."""
