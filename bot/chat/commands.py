"""``/andon`` subcommands. :meth:`Commands.handle` answers within the 3-second ack (help, lists, status,
notes); anything slower (investigate, runbook, ask, resolve, postmortem, declare) is a durable job, run on
the worker pool or in the worker process, that replies through ``respond`` (the jobs' bodies are in
``bot.chat.command_jobs``). Unknown subcommands get the help, never silence."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.chat.blocks import (
    Block,
    help_blocks,
    incidents_list,
    notice,
    status_card,
    timeline_blocks,
)
from bot.chat.blocks.kit import untrusted
from bot.chat.command_jobs import CommandJobs
from bot.chat.conversations import Conversations
from bot.chat.deps import ChatDeps
from bot.chat.ids import Subcommand
from bot.chat.jobs import Jobs
from bot.chat.watch.status import watch_command

__all__ = ["Commands", "CommandRequest", "CommandReply", "HELP", "AT_ONCE", "TRIGGER_WINDOW_S"]

HELP: list[tuple[str, str]] = [
    (f"{Subcommand.INVESTIGATE} <what is wrong>", "open an incident and investigate it in a thread"),
    (f"{Subcommand.STATUS} [incident]", "status, root cause and pending approvals (default: this channel's latest)"),
    (f"{Subcommand.INCIDENTS}", "list open incidents"),
    (f"{Subcommand.RUNBOOK} <query>", "search the runbooks"),
    (f"{Subcommand.ASK} [incident] <question>", "ask about an incident's evidence and hypotheses"),
    (
        f"{Subcommand.RESOLVE} [incident] [category=<fault>] <what fixed it>",
        "resolve; records root cause and fix so Andon learns the incident",
    ),
    (f"{Subcommand.POSTMORTEM} [incident]", "draft a postmortem from the incident's timeline"),
    (f"{Subcommand.TIMELINE} [incident] [note]", "add a note to the timeline, or show it"),
    (f"{Subcommand.DECLARE} <title>", "open a dedicated incident channel (topic, responders, runbook bookmark)"),
    (f"{Subcommand.WATCH} status", "what the watch watches, its last scan, live early warnings and budgets"),
    (f"{Subcommand.HELP}", "this list"),
]
AT_ONCE = frozenset({Subcommand.HELP, Subcommand.INVESTIGATE, Subcommand.RUNBOOK})
"""Subcommands answered from memory, or by writing their job and nothing else (no read, no Slack call): the
acknowledging thread answers them itself. The others read the store or ask Slack, so their answer gets a
budget before the acknowledgement goes out without it (``bot.slack.handlers``)."""
TRIGGER_WINDOW_S = 600.0
"""How long a slash command's ``trigger_id`` is remembered: a command delivered again within it (a replayed
request, a Socket Mode envelope sent again) is answered once."""
_INCIDENT_ID = re.compile(r"^inc-[0-9a-f]{6,}$")
_CATEGORY = re.compile(r"(?:^|\s)category=([a-z_]+)")


@dataclass(frozen=True)
class CommandRequest:
    text: str
    user: str
    channel: str
    respond: Callable[[list[Block]], None]
    """Later replies to the person who ran the command (response_url in Slack)."""
    response_url: str = ""
    """Where ``respond`` posts, kept with durable work so a restarted process can still answer."""


@dataclass(frozen=True)
class CommandReply:
    """The immediate answer, sent with the ack."""

    blocks: list[Block]
    public: bool = False


def _reply(text: str, *more: str) -> CommandReply:
    return CommandReply(notice(text, *more))


class Commands(CommandJobs):
    """Answers ``/andon`` at once, and accepts the slow part as a durable job; the jobs' bodies are in
    :class:`~bot.chat.command_jobs.CommandJobs`."""

    def __init__(
        self,
        deps: ChatDeps,
        conversations: Conversations,
        responder: Callable[[str], Callable[[list[Block]], None]] | None = None,
    ) -> None:
        """``responder`` turns a response_url back into a way to answer (for work resumed after a restart)."""
        self.deps = deps
        self.conversations = conversations
        self._answerer = responder
        self.jobs = Jobs(deps, interrupted=self._interrupted)
        work: dict[str, Callable[..., None]] = {
            "investigate": self._investigate,
            "resolve": self._resolve,
            "postmortem": self._postmortem,
            "declare": self._declare,
            "runbook": self._runbook,
            "ask": self._ask,
        }
        for kind, does in work.items():
            self.jobs.register(kind, self._job(does))
        self._handlers: dict[Subcommand, Callable[[CommandRequest, str], CommandReply]] = {
            Subcommand.INVESTIGATE: self.investigate,
            Subcommand.STATUS: self.status,
            Subcommand.INCIDENTS: self.incidents,
            Subcommand.RUNBOOK: self.runbook,
            Subcommand.ASK: self.ask,
            Subcommand.RESOLVE: self.resolve,
            Subcommand.POSTMORTEM: self.postmortem,
            Subcommand.TIMELINE: self.timeline,
            Subcommand.DECLARE: self.declare,
            Subcommand.HELP: self.help,
            Subcommand.WATCH: self.watch,
        }
        self._pruned_at = -TRIGGER_WINDOW_S
        self._prune_lock = threading.Lock()

    def _durable(self, kind: str, request: CommandRequest, *args: Any) -> None:
        """Accept the command's slow part as a job written to the store before Slack is answered."""
        self.jobs.accept(
            kind,
            {
                "text": request.text,
                "user": request.user,
                "channel": request.channel,
                "response_url": request.response_url,
                "args": list(args),
            },
            context=request,
        )

    def _job(self, work: Callable[..., None]) -> Callable[[dict[str, Any], Any], None]:
        def run(payload: dict[str, Any], live: CommandRequest | None) -> None:
            request = live or CommandRequest(
                text=payload["text"],
                user=payload["user"],
                channel=payload["channel"],
                respond=self._respond_to(payload["response_url"]),
                response_url=payload["response_url"],
            )
            work(request, *payload["args"])

        return run

    def _interrupted(self, payload: dict[str, Any]) -> None:
        self._respond_to(payload.get("response_url", ""))(
            notice(
                f":warning: `/andon {untrusted(payload.get('text', ''))}` was cut off by a restart "
                "and may have partly run. "
                "Check its result, and run it again if it is missing."
            )
        )

    def _respond_to(self, response_url: str) -> Callable[[list[Block]], None]:
        if self._answerer is None or not response_url:
            return lambda blocks: None  # nobody left to answer: the work is still done
        return self._answerer(response_url)

    @staticmethod
    def at_once(text: str) -> bool:
        """True when ``/andon <text>`` is answered without a read that could be slow (see :data:`AT_ONCE`);
        an unknown subcommand gets the help."""
        try:
            return Subcommand(text.strip().partition(" ")[0].lower()) in AT_ONCE
        except ValueError:  # not a subcommand: the help
            return True

    def first_delivery(self, trigger_id: str) -> bool:
        """False when a command with this ``trigger_id`` was already taken (across processes and replicas):
        Slack gives each command its own, so the same one again is a replay. A command without one is taken."""
        if not trigger_id:
            return True
        now = time.monotonic()
        with self._prune_lock:  # at most once a minute, forget the keys older than the window
            prune = now - self._pruned_at >= 60.0
            if prune:
                self._pruned_at = now
        if prune:
            self.deps.store.forget_keys("slack:trigger:", time.time() - TRIGGER_WINDOW_S)
        return self.deps.store.first_time(f"slack:trigger:{trigger_id}")

    def handle(self, request: CommandRequest) -> CommandReply:
        word, _, rest = request.text.strip().partition(" ")
        try:
            subcommand = Subcommand(word.lower())
        except ValueError:
            return CommandReply(help_blocks(HELP, unknown=word if word else None))
        return self._handlers[subcommand](request, rest.strip())

    def help(self, request: CommandRequest, rest: str) -> CommandReply:
        return CommandReply(help_blocks(HELP))

    # ----- authority -----
    def _groups(self, user: str) -> list[str]:
        return [g for g in self.deps.policy.groups_named() if user in self.deps.workspace.group_members(g)]

    def _responder(self, request: CommandRequest) -> bool:
        return self.deps.policy.is_responder(request.user, self._groups(request.user))

    def _may(self, command: str, request: CommandRequest) -> bool:
        return self.deps.policy.may_run(command, request.user, self._groups(request.user))

    @staticmethod
    def _not_allowed(command: str) -> CommandReply:
        return _reply(
            f":no_entry: `/andon {command}` is reserved by the policy to the people it names; ask one of them."
        )

    def _target(
        self, request: CommandRequest, rest: str, any_status: bool = False
    ) -> tuple[dict[str, Any] | None, str]:
        """The incident named first in ``rest``, else this channel's latest (open) one; and the remaining text.
        Another channel's incident is visible to responders only."""
        word, _, remainder = rest.partition(" ")
        if _INCIDENT_ID.match(word):
            named = self.deps.store.get(word)
            if (
                named is not None
                and named.get("channel") not in (request.channel, None)
                and not self._responder(request)
            ):
                return None, remainder.strip()
            return named, remainder.strip()
        latest = self.deps.store.list(None if any_status else "open", limit=1, channel=request.channel)
        return (latest[0] if latest else None), rest

    @staticmethod
    def _no_incident() -> CommandReply:
        return _reply(
            "No open incident in this channel. Name one, e.g. `/andon status inc-…` (see `/andon incidents`)."
        )

    # ----- immediate -----
    def incidents(self, request: CommandRequest, rest: str) -> CommandReply:
        responder = self._responder(request)
        # others see this channel's incidents only
        open_ones = self.deps.store.list("open", limit=40, channel=None if responder else request.channel)
        links = {
            i["id"]: _archive_link(i["channel"], i["thread_ts"]) for i in open_ones if i["channel"] and i["thread_ts"]
        }
        return CommandReply(incidents_list(open_ones, links))

    def status(self, request: CommandRequest, rest: str) -> CommandReply:
        incident, _ = self._target(request, rest, any_status=True)
        if incident is None:
            return self._no_incident()
        link = _archive_link(incident["channel"], incident["thread_ts"]) if incident["thread_ts"] else None
        pending = len(self.deps.pending(incident["id"]))
        return CommandReply(status_card(incident, link, pending))

    def watch(self, request: CommandRequest, rest: str) -> CommandReply:
        return CommandReply(watch_command(self.deps, rest))

    def timeline(self, request: CommandRequest, rest: str) -> CommandReply:
        incident, note = self._target(request, rest, any_status=True)
        if incident is None:
            return self._no_incident()
        if not note:
            return CommandReply(timeline_blocks(incident, self.deps.store.timeline(incident["id"])))
        if not self._may("note", request):
            return self._not_allowed("note")
        self.deps.store.note(incident["id"], "note", note, request.user)
        return _reply(f":memo: Added to the timeline of `{incident['id']}`.")

    # ----- on the worker pool -----
    def investigate(self, request: CommandRequest, rest: str) -> CommandReply:
        if not rest:
            return _reply("Describe the problem: `/andon investigate checkout 5xx since 10:02`.")
        self._durable("investigate", request, rest)
        return _reply(f":mag: Opening an incident for “{untrusted(rest)}” — follow it in the thread.")

    def runbook(self, request: CommandRequest, rest: str) -> CommandReply:
        if not rest:
            return _reply("What should I look for? `/andon runbook kafka consumer lag`")

        self._durable("runbook", request, rest)
        return _reply(f":books: Searching the runbooks for “{untrusted(rest)}”…")

    def ask(self, request: CommandRequest, rest: str) -> CommandReply:
        incident, question = self._target(request, rest)
        if incident is None:
            return self._no_incident()
        if not question:
            return _reply("Ask a question: `/andon ask why not the database?`")

        self._durable("ask", request, incident["id"], question)
        return _reply(f":thinking_face: Looking at the evidence of `{incident['id']}`…")

    def resolve(self, request: CommandRequest, rest: str) -> CommandReply:
        if not self._may("resolve", request):
            return self._not_allowed("resolve")
        incident, text = self._target(request, rest)
        if incident is None:
            return self._no_incident()
        category_match = _CATEGORY.search(text)
        summary = _CATEGORY.sub(" ", text).strip()
        responder = self._responder(request)
        if summary.lower() == "confirm" and responder:
            pending = [e for e in self.deps.store.timeline(incident["id"]) if e["kind"] == "resolution proposed"]
            if not pending:
                return _reply(f"Nothing to confirm: `{incident['id']}` has no proposed resolution.")
            summary, category_match = pending[-1]["text"], _CATEGORY.search(pending[-1]["text"])
            summary = _CATEGORY.sub(" ", summary).strip()
        elif summary and not responder:  # recorded, but learned from only once a responder confirms it
            self.deps.store.note(incident["id"], "resolution proposed", text, request.user)
            return _reply(
                f":memo: Recorded your resolution of `{incident['id']}`. A responder confirms it with "
                f"`/andon resolve {incident['id']} confirm` before I learn from it."
            )
        if not summary:
            return _reply(
                "Say what the cause and the fix were: `/andon resolve rolled back checkout v2.14.0; "
                "NPE in PriceCalculator`."
            )
        category = category_match.group(1) if category_match else None
        self._durable("resolve", request, incident["id"], summary, category)
        return _reply(f":white_check_mark: Resolving `{incident['id']}`…")

    def postmortem(self, request: CommandRequest, rest: str) -> CommandReply:
        if not self._may("postmortem", request):
            return self._not_allowed("postmortem")
        incident, _ = self._target(request, rest, any_status=True)
        if incident is None:
            return self._no_incident()
        self._durable("postmortem", request, incident["id"])
        return _reply(f":memo: Drafting the postmortem of `{incident['id']}` from its timeline…")

    def declare(self, request: CommandRequest, rest: str) -> CommandReply:
        if not self._may("declare", request):
            return self._not_allowed("declare")
        if not rest:
            return _reply("Give the incident a title: `/andon declare checkout errors after deploy`.")
        self._durable("declare", request, rest)
        return _reply(f":rotating_light: Declaring “{rest}” — creating the incident channel…")


def _archive_link(channel: str | None, ts: str | None) -> str:
    return f"https://slack.com/archives/{channel}/p{str(ts).replace('.', '')}"
