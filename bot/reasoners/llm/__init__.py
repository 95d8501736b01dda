"""The llm reasoner: any OpenAI-compatible chat model, starting from the rules engine's evidence.

It may call read-only tools (native tool calling, or a JSON-mode fallback for models without it),
then re-rank the rules engine's hypotheses. It only assists: every hypothesis it keeps must cite
tool results that mention its service, its influence on the ranking is bounded, and any failure
(timeouts, 5xx, malformed output) falls back to the rules engine with a note in the report.
"""

from bot.reasoners.llm.reasoner import LLMReasoner

__all__ = ["LLMReasoner"]
