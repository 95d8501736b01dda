"""Action ids, block ids and slash subcommands: every name Slack sends back to us, declared once."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ActionId", "BlockId", "Subcommand"]


class ActionId(StrEnum):
    """Buttons on Andon's cards."""

    APPROVE = "andon.approve"
    REJECT = "andon.reject"


class BlockId(StrEnum):
    """Blocks other code (tests, updates, the console) looks for. Repeated blocks get a ``-n`` suffix."""

    PROGRESS = "andon.progress"
    PROGRESS_STEPS = "andon.progress.steps"
    ALERT = "andon.alert"
    RCA_HEADER = "andon.rca.header"
    RCA_ROOT = "andon.rca.root"
    HYPOTHESIS = "andon.rca.hypothesis"
    EVIDENCE = "andon.rca.evidence"
    KNOWLEDGE = "andon.rca.knowledge"
    PROPOSALS = "andon.rca.proposals"
    NOTES = "andon.rca.notes"
    PROPOSAL = "andon.proposal"
    PROPOSAL_PARAMS = "andon.proposal.params"
    PROPOSAL_DECISIONS = "andon.proposal.decisions"
    PROPOSAL_ACTIONS = "andon.proposal.actions"
    PROPOSAL_OUTCOME = "andon.proposal.outcome"
    VERIFICATION = "andon.verification"
    ANSWER = "andon.answer"
    HELP = "andon.help"
    NOTICE = "andon.notice"
    TRUNCATED = "andon.truncated"

    def nth(self, index: int) -> str:
        """A unique id for the ``index``-th block of this kind in one message."""
        return f"{self.value}-{index}"


class Subcommand(StrEnum):
    """``/andon <subcommand>``."""

    INVESTIGATE = "investigate"
    STATUS = "status"
    INCIDENTS = "incidents"
    RUNBOOK = "runbook"
    ASK = "ask"
    RESOLVE = "resolve"
    POSTMORTEM = "postmortem"
    TIMELINE = "timeline"
    DECLARE = "declare"
    WATCH = "watch"
    HELP = "help"
