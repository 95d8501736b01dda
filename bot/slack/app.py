"""Build the Bolt app: the Web API client (retrying on 429, pointed at ``ANDON_SLACK_API_URL``), signature
verification, listeners that run before Slack is answered, and the listeners (``register_listeners``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.error import URLError

from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient

from bot.chat.desk import Desk
from bot.settings import Settings, SettingsError
from bot.slack.listeners import register_listeners

__all__ = ["build_app"]


class _TokenInTheClient(logging.Filter):
    """Bolt warns "As you gave `client` as well, `token` will be unused" whenever SLACK_BOT_TOKEN is set and a
    client is given: always the case here, and the client carries that very token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_TOKEN_IN_THE_CLIENT = _TokenInTheClient()


@contextmanager
def _client_errors_unlogged() -> Iterator[None]:
    """slack_sdk logs each failed attempt at ERROR; at start-up the one line :func:`build_app` raises says it."""
    logger = logging.getLogger("slack_sdk.web.base_client")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def build_app(
    settings: Settings,
    desk: Desk,
    client: WebClient,
    token_verification: bool = True,
    listener_workers: int = 32,
    verified_before: bool = False,
) -> App:
    """The Bolt app over ``client``. ``token_verification`` checks the token with auth.test at start-up; a Slack
    API that cannot be reached then is a :class:`SettingsError` (one line), not a traceback. With
    ``verified_before`` (the HTTP edge checks every request's signature before Bolt sees it), Bolt does not
    check it a second time."""
    logging.getLogger("slack_bolt.App").addFilter(_TOKEN_IN_THE_CLIENT)  # added once, however many apps
    try:
        with _client_errors_unlogged():
            app = App(
                client=client,
                signing_secret=settings.secret("slack_signing_secret"),
                name="andon",
                token_verification_enabled=token_verification,
                process_before_response=True,
                request_verification_enabled=not verified_before,
                listener_executor=ThreadPoolExecutor(max_workers=listener_workers, thread_name_prefix="andon-slack"),
            )
    except (URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise SettingsError(
            f"cannot reach the Slack API at {client.base_url} ({reason}): check the network "
            "(or HTTPS_PROXY), and ANDON_SLACK_API_URL if set"
        ) from None
    register_listeners(app, desk)
    return app
