"""Slack's side of the :class:`~bot.chat.workspace.Workspace` protocol: :class:`SlackWorkspace` over the Web
API, the client that redacts everything it sends, and the ``response_url`` answerer.

The conversation logic (``bot.chat``) only talks to a ``Workspace``; ``andon chat`` swaps in a console one.
The Slack client honours ``429`` + ``Retry-After`` and can point at another base URL (``ANDON_SLACK_API_URL``)."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.chat.blocks import Block, fallback_text
from bot.chat.workspace import ImageFile
from bot.settings import Settings, SettingsError
from tools.redaction import redact, redact_data

__all__ = ["SlackWorkspace", "RedactingWebClient", "make_web_client", "api_base_url", "response_url_answerer"]

log = logging.getLogger(__name__)
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


def api_base_url(settings: Settings) -> str:
    """The Web API base URL; it must end with ``/api/`` (a trailing slash is added when missing)."""
    url = (settings.slack_api_url or "https://slack.com/api/").strip()
    if not url.endswith("/"):
        url += "/"
    if not url.endswith("/api/"):
        raise SettingsError(f"ANDON_SLACK_API_URL must end with /api/ (got {url})")
    return url


class RedactingWebClient(WebClient):
    """The one door to Slack's Web API: every argument of every call (messages, updates, ephemerals,
    topics, bookmarks, upload comments) has its secrets redacted on the way out."""

    def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> Any:
        return super().api_call(
            api_method,
            http_verb=http_verb,
            files=files,
            data=_redacted(data),
            params=_redacted(params),
            json=_redacted(json),
            headers=headers,
            auth=auth,
        )


def _redacted(args: dict[str, Any] | None) -> dict[str, Any] | None:
    """Every argument redacted but ``token``, which the client turns into the Authorization header."""
    if not args:
        return args
    out: dict[str, Any] = redact_data({k: v for k, v in args.items() if k != "token"})
    if "token" in args:
        out["token"] = args["token"]
    return out


def response_url_answerer(response_url: str) -> Callable[[list[Block]], None]:
    """Answer the person who ran a slash command through its ``response_url`` (valid 30 minutes), as an
    ephemeral message, redacted like every other post — for work resumed by another process."""
    from slack_sdk.webhook import WebhookClient

    def answer(blocks: list[Block]) -> None:
        safe = redact_data(blocks)
        response = WebhookClient(response_url).send(
            text=fallback_text(safe), blocks=safe, response_type="ephemeral", replace_original=False
        )
        if response.status_code >= 400:
            log.warning("the response_url answer was refused: %s", response.status_code)

    return answer


def make_web_client(settings: Settings, max_rate_limit_retries: int = 3) -> WebClient:
    """The bot's Web API client: retries on 429 after ``Retry-After`` and on dropped connections, and
    redacts secrets from everything it sends."""
    return RedactingWebClient(
        token=settings.secret("slack_bot_token") or None,
        base_url=api_base_url(settings),
        timeout=15,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=max_rate_limit_retries),
            ConnectionErrorRetryHandler(max_retry_count=1),
        ],
    )


class SlackWorkspace:
    """:class:`~bot.chat.workspace.Workspace` over Slack's Web API."""

    def __init__(self, client: WebClient, group_ttl_s: float = 60.0) -> None:
        self.client = client
        self._groups: dict[str, tuple[float, list[str]]] = {}
        self._channels: dict[str, str] | None = None
        self._group_ttl_s = group_ttl_s
        self._lock = threading.Lock()

    def post(self, channel: str, blocks: list[Block], text: str | None = None, thread_ts: str | None = None) -> str:
        response = self.client.chat_postMessage(
            channel=channel,
            blocks=blocks,
            text=text or fallback_text(blocks),
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])

    def update(self, channel: str, ts: str, blocks: list[Block], text: str | None = None) -> None:
        self.client.chat_update(channel=channel, ts=ts, blocks=blocks, text=text or fallback_text(blocks))

    def ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> None:
        self.client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)

    def upload(
        self, channel: str, thread_ts: str | None, filename: str, content: str, title: str, comment: str
    ) -> None:
        self.client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            filename=filename,
            content=redact(content),
            title=title,
            initial_comment=comment,
        )

    def upload_images(self, channel: str, thread_ts: str | None, images: list[ImageFile], comment: str) -> None:
        """Slack's external upload: ``files.getUploadURLExternal`` per image, the bytes to each returned URL,
        then one ``files.completeUploadExternal`` sharing them all in the thread (titles and alt text are
        redacted by the client, like every argument)."""
        self.client.files_upload_v2(
            file_uploads=[
                {"content": image.content, "filename": image.filename, "title": image.title, "alt_txt": image.alt_text}
                for image in images
            ],
            channel=channel,
            thread_ts=thread_ts,
            initial_comment=comment,
        )

    def permalink(self, channel: str, ts: str) -> str:
        try:
            return str(self.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except SlackApiError:
            return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"

    def open_channel(self, name: str, topic: str, members: list[str]) -> str:
        base = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")[:72] or "incident"
        for attempt in range(5):
            candidate = base if attempt == 0 else f"{base}-{attempt + 1}"
            try:
                channel = str(self.client.conversations_create(name=candidate)["channel"]["id"])
                break
            except SlackApiError as exc:
                if exc.response.get("error") != "name_taken":
                    raise
        else:
            raise RuntimeError(f"channel names {base}… are all taken")
        if members:
            self.client.conversations_invite(channel=channel, users=",".join(sorted(set(members))))
        self.client.conversations_setTopic(channel=channel, topic=topic[:250])
        return channel

    def bookmark(self, channel: str, title: str, link: str) -> None:
        self.client.bookmarks_add(channel_id=channel, title=title[:80], type="link", link=link)

    def group_members(self, group: str) -> list[str]:
        """Members of a user group (cached briefly); empty when the group cannot be read."""
        with self._lock:
            cached = self._groups.get(group)
            if cached and time.monotonic() - cached[0] < self._group_ttl_s:
                return cached[1]
        try:
            users = [str(u) for u in self.client.usergroups_users_list(usergroup=group)["users"] or []]
        except SlackApiError as exc:
            log.warning("cannot list members of user group %s: %s", group, exc.response.get("error"))
            users = []
        with self._lock:
            self._groups[group] = (time.monotonic(), users)
        return users

    def channel_id(self, name_or_id: str) -> str | None:
        """A channel id for ``#name`` or an id (names are resolved once through conversations.list)."""
        value = name_or_id.strip().lstrip("#")
        if _CHANNEL_ID.match(value):
            return value
        with self._lock:
            if self._channels is None:
                self._channels = self._list_channels()
            return self._channels.get(value)

    def _list_channels(self) -> dict[str, str]:
        found: dict[str, str] = {}
        cursor: str | None = None
        try:
            while True:
                page = self.client.conversations_list(
                    types="public_channel,private_channel", limit=1000, exclude_archived=True, cursor=cursor
                )
                for channel in page.get("channels") or []:
                    found[str(channel["name"])] = str(channel["id"])
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    return found
        except SlackApiError as exc:
            log.warning("cannot list channels to resolve names: %s", exc.response.get("error"))
            return found
