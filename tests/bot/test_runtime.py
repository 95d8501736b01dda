"""The investigator's front door: a raw trigger is kept once (capped, redacted) and never checkpointed."""

from __future__ import annotations

import json
from pathlib import Path

from bot.settings import load_settings
from bot.store import open_store
from tests.support.example_run import alert, investigator


def test_a_huge_webhook_is_kept_once_capped_and_never_checkpointed(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    store = open_store(None, tmp_path / "store")
    payload = alert()
    payload["alerts"][0]["annotations"]["runbook_dump"] = "x" * 4_000_000 + " token=xoxb-1234567890-abcdefghijkl"
    inv = investigator(settings, tmp_path, store=store)
    outcome = inv.start(payload)
    assert len(json.dumps(outcome.state["trigger"])) < 1000, "the graph holds a reference, not the payload"
    [kept] = [e for e in store.audit_log(outcome.incident_id) if e["event"] == "received"]
    dump = kept["args"]["alerts"][0]["annotations"]["runbook_dump"]
    assert dump.startswith("xxxx") and 1000 <= len(dump) <= 4000, "kept once, its first part"
    assert len(json.dumps(kept["args"])) < 64 * 1024
    checkpoints = sum(p.stat().st_size for p in (tmp_path / "data").rglob("*") if p.is_file())
    assert checkpoints < 2_000_000, f"{checkpoints} bytes of checkpoints for a 4 MB webhook"


def test_the_kept_trigger_is_redacted(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    store = open_store(None, tmp_path / "store")
    payload = alert()
    payload["alerts"][0]["annotations"]["description"] = "db at postgres://app:hunter2-prod@db:5432/shop"
    outcome = investigator(settings, tmp_path, store=store).start(payload)
    [kept] = [e for e in store.audit_log(outcome.incident_id) if e["event"] == "received"]
    text = json.dumps(kept["args"])
    assert "postgres://app:" in text and "hunter2" not in text
