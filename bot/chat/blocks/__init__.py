"""Block Kit builders: pure functions from Andon's records to Slack blocks, always within Slack's limits
(≤ 50 blocks, ≤ 3000 characters per section text; longer content is cut with a note)."""

from bot.chat.blocks.approval import button_value, parse_button_value, proposal_card
from bot.chat.blocks.commands import (
    help_blocks,
    incidents_list,
    runbook_results,
    status_card,
    timeline_blocks,
)
from bot.chat.blocks.incident import (
    ack_message,
    alert_message,
    answer_message,
    notice,
    progress_message,
    rca_card,
    verification_message,
)
from bot.chat.blocks.kit import MAX_BLOCKS, MAX_SECTION_TEXT, Block, clip, fallback_text, fit

__all__ = [
    "Block",
    "MAX_BLOCKS",
    "MAX_SECTION_TEXT",
    "ack_message",
    "alert_message",
    "answer_message",
    "button_value",
    "clip",
    "fallback_text",
    "fit",
    "help_blocks",
    "incidents_list",
    "notice",
    "parse_button_value",
    "progress_message",
    "proposal_card",
    "rca_card",
    "runbook_results",
    "status_card",
    "timeline_blocks",
    "verification_message",
]
