"""The shipped Slack app manifest asks for exactly the scopes, events and features Andon uses."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = Path(__file__).resolve().parents[3] / "slack" / "manifest.yaml"


def test_manifest_scopes_events_command_and_modes() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert manifest["oauth_config"]["scopes"]["bot"] == [
        "app_mentions:read",
        "channels:history",
        "groups:history",
        "chat:write",
        "commands",
        "files:write",
        "channels:manage",
        "channels:read",
        "groups:read",
        "users:read",
        "usergroups:read",
        "bookmarks:write",
    ]
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == [
        "app_mention",
        "message.channels",
        "message.groups",
    ]
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/andon"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
