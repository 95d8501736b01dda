"""The HTTP edge on uvicorn + Starlette: limits, the read deadline, webhook authentication and rate limits,
the Slack signature check before Bolt, and the probes. ``bot.slack.server`` runs it."""

from bot.slack.edge.app import build_edge_app
from bot.slack.edge.body import BodyRefused, read_body
from bot.slack.edge.events import REPLAY_WINDOW_S, SLACK_PATH, SlackEvents
from bot.slack.edge.head import RequestHeadCheck, head_problem
from bot.slack.edge.limits import MAX_BODY, EdgeLimits
from bot.slack.edge.probes import Probes
from bot.slack.edge.protocol import DeadlineProtocol
from bot.slack.edge.ratelimit import WEBHOOK_RATE, TokenBuckets
from bot.slack.edge.webhooks import MAX_DEPTH, WEBHOOKS, Webhooks

__all__ = [
    "build_edge_app",
    "BodyRefused",
    "read_body",
    "REPLAY_WINDOW_S",
    "SLACK_PATH",
    "SlackEvents",
    "MAX_BODY",
    "EdgeLimits",
    "Probes",
    "DeadlineProtocol",
    "WEBHOOK_RATE",
    "TokenBuckets",
    "MAX_DEPTH",
    "WEBHOOKS",
    "Webhooks",
    "RequestHeadCheck",
    "head_problem",
]
