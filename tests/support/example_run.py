"""The bundled checkout bad-deploy example, ready to investigate in a test: its alert, its replayed
telemetry (optionally edited — an injected log line, a poisoned annotation) and an Investigator."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.policy import Policy
from bot.runtime import Investigator, fixture_sources
from bot.settings import Settings
from tools.sources import Sources

__all__ = [
    "ALERT",
    "TELEMETRY",
    "APPROVERS",
    "alert",
    "telemetry_spec",
    "example_sources",
    "investigator",
    "approver_policy",
    "non_dry_executions",
]

ROOT = Path(__file__).resolve().parents[2]
ALERT = ROOT / "examples" / "alerts" / "checkout-bad-deploy.json"
TELEMETRY = ROOT / "examples" / "alerts" / "checkout-bad-deploy.telemetry.yaml"
APPROVERS = ["UAPPROVER1", "UAPPROVER2", "SONCALL01"]


def alert() -> dict[str, Any]:
    """A fresh copy of the example Alertmanager payload."""
    return copy.deepcopy(_alert())


@cache
def _alert() -> dict[str, Any]:
    return dict(json.loads(ALERT.read_text()))


def telemetry_spec() -> dict[str, Any]:
    """A fresh copy of the example's telemetry fixture, to edit."""
    return copy.deepcopy(_spec())


@cache
def _spec() -> dict[str, Any]:
    return dict(yaml.safe_load(TELEMETRY.read_text()))


def example_sources(tmp_path: Path, spec: dict[str, Any] | None = None) -> tuple[Sources, float]:
    """Replay sources for ``spec`` (default: the example's), and the time to judge the incident at.

    The file keeps the example's name, so the generated noise is the same as the example's."""
    if spec is None:
        return fixture_sources(TELEMETRY)
    folder = tmp_path / "telemetry"
    folder.mkdir(exist_ok=True)
    path = folder / TELEMETRY.name
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return fixture_sources(path)


def approver_policy(**overrides: Any) -> Policy:
    return Policy.model_validate({"approvers": APPROVERS, **overrides})


def investigator(settings: Settings, tmp_path: Path, spec: dict[str, Any] | None = None, **kwargs: Any) -> Investigator:
    """An Investigator on the example's telemetry, judged at the fixture's time."""
    sources, judged_at = example_sources(tmp_path, spec)
    kwargs.setdefault("clock", lambda: judged_at)
    return Investigator(settings, sources, **kwargs)


def non_dry_executions(inv: Investigator) -> list[dict[str, Any]]:
    """What the replay actuator really did (dry runs excluded)."""
    return [e for e in getattr(inv.context.sources.actuator, "executed", []) if not e["dry_run"]]
