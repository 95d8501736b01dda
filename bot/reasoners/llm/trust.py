"""How much a model's ranking counts: the per-model weight ``w`` and the blend it sets.

Each hypothesis ends with ``(1 − w)·rules + w·model``: the rules engine's confidence (0 for a grounded
hypothesis only the model named) and the model's (0 for one it did not name). ``w`` is measured per model
by ``andon eval --reasoner llm --calibrate`` and kept in a profile (JSON, keyed by model name, in
``<data_dir>/llm-profile.json`` or ``ANDON_LLM_PROFILE``); a model nobody measured gets
:data:`UNCALIBRATED_WEIGHT`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import Settings

__all__ = [
    "UNCALIBRATED_WEIGHT",
    "PROFILE_NAME",
    "Scored",
    "Trust",
    "blend",
    "load_trust",
    "profile_path",
    "save_weight",
]

UNCALIBRATED_WEIGHT = 0.09
"""``w`` for a model without a profile. ``(1 − w)·r + w·m`` ranks exactly as ``r + m·w/(1 − w)``, and
``w/(1 − w) ≈ 0.1`` is the bound the model always had before calibration (a tenth of its confidence added
to a hypothesis it backs): enough to re-order close calls, never enough to overturn evidence. A model
earns more only by showing, on labelled scenarios, that more helps."""

PROFILE_NAME = "llm-profile.json"


@dataclass(frozen=True)
class Scored:
    """One (service, category) with a confidence, from one side of the blend."""

    service: str
    category: str
    confidence: float

    @property
    def key(self) -> tuple[str, str]:
        return self.service, self.category


@dataclass(frozen=True)
class Trust:
    """The weight in force for one model, and where it came from."""

    model: str
    weight: float
    calibrated: bool
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "weight": self.weight, "calibrated": self.calibrated, "reason": self.reason}


def blend(rules: list[Scored], model: list[Scored], weight: float) -> list[Scored]:
    """Every hypothesis either side named, with ``(1 − w)·rules + w·model``, best first. Ties keep the rules
    engine's order, then the model's, so ``w = 0`` is the rules engine's ranking exactly."""
    named = {s.key: s.confidence for s in model}
    out: dict[tuple[str, str], Scored] = {}
    for item in rules:
        if item.key not in out:
            confidence = (1.0 - weight) * item.confidence + weight * named.get(item.key, 0.0)
            out[item.key] = Scored(item.service, item.category, round(confidence, 4))
    for item in model:
        if item.key not in out:
            out[item.key] = Scored(item.service, item.category, round(weight * item.confidence, 4))
    order = {key: index for index, key in enumerate(out)}
    return sorted(out.values(), key=lambda s: (-s.confidence, order[s.key]))


def profile_path(settings: Settings) -> Path:
    """``ANDON_LLM_PROFILE``, else ``<data_dir>/llm-profile.json``."""
    return settings.llm_profile or settings.data_dir / PROFILE_NAME


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the model profile: {exc}") from exc
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, dict):
        raise ValueError(f"{path}: a model profile is a JSON object with a 'models' object keyed by model name")
    return models


def load_trust(settings: Settings) -> Trust:
    """The weight for ``settings.model``: its calibrated profile entry, else :data:`UNCALIBRATED_WEIGHT`."""
    path = profile_path(settings)
    entry = _read(path).get(settings.model)
    if isinstance(entry, dict) and isinstance(entry.get("weight"), int | float):
        weight = min(max(float(entry["weight"]), 0.0), 1.0)
        scenarios = entry.get("scenarios")
        measured = f" on {scenarios} scenarios" if scenarios else ""
        return Trust(settings.model, weight, True, f"calibrated{measured} ({path})")
    return Trust(
        settings.model,
        UNCALIBRATED_WEIGHT,
        False,
        f"no calibration for {settings.model}: the default, as much as the model could always add",
    )


def save_weight(path: Path, model: str, weight: float, facts: dict[str, Any]) -> None:
    """Write ``model``'s weight (and the figures that chose it) into the profile, keeping other models'."""
    models = _read(path)
    models[model] = {
        "weight": round(weight, 4),
        **facts,
        "calibrated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"models": models}, indent=2, sort_keys=True))
