"""Prometheus metrics for ``/metrics``: incidents, investigations and their duration, tool errors, LLM
tokens, approval decisions and evidence charts. One registry per server, created at start-up (nothing at
import)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

__all__ = ["Metrics"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.incidents = Counter("andon_incidents", "Incidents opened, by source", ["source"], registry=self.registry)
        self.investigations = Counter(
            "andon_investigations", "Investigations finished, by outcome", ["outcome"], registry=self.registry
        )
        self.duration = Histogram(
            "andon_investigation_duration_seconds",
            "Time from start to RCA card",
            buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300),
            registry=self.registry,
        )
        self.tool_errors = Counter(
            "andon_tool_errors", "Tool calls that returned an error, by tool", ["tool"], registry=self.registry
        )
        self.llm_tokens = Counter("andon_llm_tokens", "LLM tokens used, by kind", ["kind"], registry=self.registry)
        self.decisions = Counter(
            "andon_approval_decisions", "Approval clicks, by result", ["result"], registry=self.registry
        )
        self.charts = Counter(
            "andon_evidence_charts",
            "Evidence chart messages after RCA cards, by outcome (posted, none, failed)",
            ["outcome"],
            registry=self.registry,
        )

    def investigated(self, state: dict[str, Any], seconds: float, outcome: str) -> None:
        """Count one investigation run (start or resume) from its final graph state."""
        self.investigations.labels(outcome=outcome).inc()
        self.duration.observe(seconds)
        for call in state.get("calls", []):
            if call.get("status") == "error":
                self.tool_errors.labels(tool=str(call.get("tool", "?"))).inc()
        tokens = state.get("tokens") or {}
        for kind in ("prompt", "completion"):
            if tokens.get(kind):
                self.llm_tokens.labels(kind=kind).inc(float(tokens[kind]))

    def exposition(self) -> tuple[bytes, str]:
        """The text exposition and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
