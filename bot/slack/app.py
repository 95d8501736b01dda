"""Build the Bolt app: the Web API client (retrying on 429, pointed at ``ANDON_SLACK_API_URL``), signature
verification, a listener pool sized for bursts, and the listeners (``register_listeners``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from bot.settings import Settings
from bot.slack.desk import Desk
from bot.slack.listeners import register_listeners

__all__ = ["build_app"]


def build_app(settings: Settings, desk: Desk, client: WebClient, token_verification: bool = True,
              listener_workers: int = 32) -> App:
    """The Bolt app over ``client``. ``token_verification`` checks the token with auth.test at start-up."""
    app = App(client=client, signing_secret=settings.secret("slack_signing_secret"), name="andon",
              token_verification_enabled=token_verification, process_before_response=False,
              listener_executor=ThreadPoolExecutor(max_workers=listener_workers, thread_name_prefix="andon-slack"))
    register_listeners(app, desk)
    return app
