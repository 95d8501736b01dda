"""The slow half of each ``/andon`` subcommand: what :class:`~bot.chat.commands.Commands` accepted as a durable
job (investigate, runbook, ask, resolve, postmortem, declare), done on the worker pool or in the worker
process, each answering the person who ran it through ``request.respond``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.blocks import answer_message, notice, runbook_results
from bot.chat.blocks.kit import mention, untrusted
from bot.chat.conversations import Conversations, thread_incident_id
from bot.chat.declare import declare_incident
from bot.chat.deps import ChatDeps
from bot.chat.learning import LearningError, draft_postmortem, learned_incident, root_cause_text
from bot.intake import IntakeError

if TYPE_CHECKING:
    from bot.chat.commands import CommandRequest

__all__ = ["CommandJobs"]


class CommandJobs:
    """The job bodies :class:`~bot.chat.commands.Commands` registers by kind; each takes the request (live, or
    rebuilt from the job after a restart) and the arguments the command accepted."""

    deps: ChatDeps
    conversations: Conversations

    def _investigate(self, request: CommandRequest, text: str) -> None:
        root = self.deps.workspace.post(
            request.channel, notice(f":rotating_light: {mention(request.user)} opened an incident: *{untrusted(text)}*")
        )
        try:
            self.conversations.open_incident(
                {"text": text, "channel": request.channel, "user": request.user},
                request.channel,
                root,
                thread_incident_id(request.channel, root),
                opened_by=request.user,
            )
        except IntakeError as exc:
            request.respond(notice(f"Cannot open an incident: {untrusted(exc)}"))

    def _runbook(self, request: CommandRequest, query: str) -> None:
        hits = self.deps.kb.search(query, k=5, kind="runbook") if self.deps.kb is not None else []
        request.respond(runbook_results(query, [h.to_dict() for h in hits]))

    def _ask(self, request: CommandRequest, incident_id: str, question: str) -> None:
        text = self.conversations.answerer.answer((self.deps.store.get(incident_id) or {}).get("report"), question)
        self.deps.store.note(incident_id, "question", question, request.user)
        request.respond(answer_message(question, text, request.user))

    def _resolve(self, request: CommandRequest, incident_id: str, summary: str, category: str | None) -> None:
        incident = self.deps.store.get(incident_id) or {}
        channel, thread = incident.get("channel"), incident.get("thread_ts")
        link = self.deps.workspace.permalink(channel, thread) if channel and thread else ""
        try:
            document = learned_incident(incident, summary, link, category, by=request.user)
        except LearningError as exc:
            request.respond(notice(untrusted(exc)))
            return
        if self.deps.kb is not None:
            self.deps.kb.add_document(document)
        self.deps.store.set_status(
            incident_id,
            "resolved",
            root_cause=root_cause_text(incident.get("report")) or document.category.replace("_", " "),
            fix=summary,
        )
        self.deps.store.note(incident_id, "resolved", summary, request.user)
        message = notice(
            f":white_check_mark: *Resolved* by {mention(request.user)}: {untrusted(summary)}",
            f"Learned as past incident `{document.id}` ({document.category.replace('_', ' ')}); "
            "future investigations will recall it. `/andon postmortem` drafts the write-up.",
        )
        if channel:
            self.deps.workspace.post(channel, message, thread_ts=thread)
        request.respond(message)

    def _postmortem(self, request: CommandRequest, incident_id: str) -> None:
        incident = self.deps.store.get(incident_id) or {}
        draft = draft_postmortem(incident, self.deps.store.timeline(incident_id))
        channel = incident.get("channel") or request.channel
        self.deps.workspace.upload(
            channel,
            incident.get("thread_ts"),
            f"postmortem-{incident_id}.md",
            draft,
            f"Postmortem draft — {incident.get('title', incident_id)}",
            "Postmortem draft from the timeline: summary, impact, timeline, root cause, actions.",
        )
        self.deps.store.note(incident_id, "postmortem", "postmortem draft posted", request.user)
        request.respond(notice(f":memo: Postmortem draft for `{incident_id}` posted in the incident thread."))

    def _declare(self, request: CommandRequest, rest: str) -> None:
        channel = declare_incident(self.deps, self.conversations, rest, request.user)
        request.respond(notice(f":rotating_light: Declared: <#{channel}> — responders invited, runbook bookmarked."))
