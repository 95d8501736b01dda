"""Load and validate eval scenarios: ``evals/scenarios/<id>/scenario.yaml`` (format in evals/README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from evals.actions import parse_pattern
from knowledge.taxonomy import categories
from tools.sources.timespec import parse_instant

__all__ = ["Scenario", "ScenarioError", "load_scenario", "find_scenarios", "Expected"]


class ScenarioError(ValueError):
    """A scenario that cannot run; the message names the file and the problem."""


class Expected(BaseModel):
    model_config = {"extra": "forbid"}
    service: str
    category: str
    actions: list[str] = Field(default_factory=list)
    forbidden: list[str] = Field(default_factory=list)
    facts: list[str] = Field(default_factory=list)
    runbook: str | None = None
    rubric: str | None = None

    @model_validator(mode="after")
    def _known(self) -> Expected:
        if self.category not in categories():
            raise ValueError(f"expected.category {self.category!r} is not in knowledge/categories.yaml")
        for pattern in self.actions + self.forbidden:
            parse_pattern(pattern)
        return self


class Trigger(BaseModel):
    model_config = {"extra": "forbid"}
    time: Any
    slack: str | None = None
    alert: dict[str, Any] | None = None
    alertmanager: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one(self) -> Trigger:
        given = [k for k in ("slack", "alert", "alertmanager") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(f"trigger needs exactly one of slack, alert, alertmanager (has {given or 'none'})")
        return self


class Tags(BaseModel):
    category: str = ""
    difficulty: Literal["easy", "medium", "hard"] = "medium"
    signals: list[str] = Field(default_factory=list)
    traits: list[str] = Field(default_factory=list)


class Scenario(BaseModel):
    model_config = {"extra": "forbid"}
    id: str = ""
    title: str
    tags: Tags = Field(default_factory=Tags)
    trigger: Trigger
    system: dict[str, Any] = Field(default_factory=dict)
    telemetry: dict[str, Any] = Field(default_factory=dict)
    knowledge: list[str] = Field(default_factory=list)
    heals: list[str] = Field(default_factory=list)
    approval: Literal["deny", "approve"] = "deny"
    expected: Expected
    path: str = ""

    @property
    def reference(self) -> float:
        return parse_instant(self.trigger.time)

    @property
    def topology(self) -> dict[str, list[str]]:
        services = self.system.get("services") or {}
        return {str(k): [str(d) for d in (v or [])] for k, v in services.items()}

    def trigger_payload(self) -> Any:
        """The trigger as Andon receives it: Slack text or an Alertmanager webhook body."""
        if self.trigger.slack:
            return {"text": self.trigger.slack, "ts": self.reference, "channel": "C-EVAL", "user": "U-EVAL"}
        if self.trigger.alertmanager:
            return self.trigger.alertmanager
        alert = dict(self.trigger.alert or {})
        labels = {"alertname": str(alert.pop("alertname", "Alert")), "severity": str(alert.pop("severity", "warning"))}
        if "service" in alert:
            labels["service"] = str(alert.pop("service"))
        labels.update({str(k): str(v) for k, v in (alert.pop("labels", None) or {}).items()})
        annotations = {"summary": str(alert.pop("summary", ""))}
        if "description" in alert:
            annotations["description"] = str(alert.pop("description"))
        starts = parse_instant(alert.pop("startsAt", "0s"), self.reference)
        from tools.sources.timespec import to_datetime

        return {
            "version": "4",
            "status": "firing",
            "receiver": "andon",
            "groupLabels": {"alertname": labels["alertname"]},
            "commonLabels": labels,
            "commonAnnotations": annotations,
            "groupKey": f'{{}}:{{alertname="{labels["alertname"]}"}}',
            "alerts": [
                {
                    "status": "firing",
                    "labels": labels,
                    "annotations": annotations,
                    "startsAt": to_datetime(starts).isoformat().replace("+00:00", "Z"),
                    "endsAt": "0001-01-01T00:00:00Z",
                    "fingerprint": self.id[:16],
                }
            ],
        }


def load_scenario(path: Path) -> Scenario:
    """The scenario in ``path`` (a folder with scenario.yaml, or the file itself)."""
    file = path / "scenario.yaml" if path.is_dir() else path
    try:
        data = yaml.safe_load(file.read_text())
    except OSError as exc:
        raise ScenarioError(f"{file}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"{file}: a scenario must be a mapping")
    data.setdefault("id", file.parent.name)
    try:
        scenario = Scenario.model_validate({**data, "path": str(file.parent)})
        scenario.reference  # noqa: B018 - validates the time
    except (ValidationError, ValueError) as exc:
        raise ScenarioError(f"{file}: {exc}") from exc
    for extra in scenario.knowledge:
        if not (file.parent / extra).exists():
            raise ScenarioError(f"{file}: knowledge file {extra} does not exist")
    return scenario


def find_scenarios(paths: list[Path]) -> list[Path]:
    """Scenario folders (with scenario.yaml) and RCAEval case folders (with data.csv) under ``paths``."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise ScenarioError(f"{path}: no such file or folder")
        if path.is_file():
            found.append(path.parent if path.name == "scenario.yaml" else path)
            continue
        if (path / "scenario.yaml").exists() or (path / "data.csv").exists():
            found.append(path)
            continue
        found.extend(
            sorted({p.parent for p in path.rglob("scenario.yaml")} | {p.parent for p in path.rglob("data.csv")})
        )
    return found
