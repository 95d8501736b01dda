"""The llm reasoner: any OpenAI-compatible chat model, starting from the rules engine's evidence.

It may call read-only tools (native tool calling, or a JSON-mode fallback for models without it) within a
prompt budget, then rank hypotheses that must cite tool results mentioning their service; one outside the
rules engine's list must also be grounded in evidence distinctive of its category. Its ranking counts as
much as its calibrated weight says (``trust``: ``(1 − w)·rules + w·model``, a small default when nobody
measured the model), and any failure (timeouts, 5xx, malformed output) falls back to the rules engine
with a note in the report. See docs/llm.md.
"""

from bot.reasoners.llm.reasoner import LLMReasoner

__all__ = ["LLMReasoner"]
