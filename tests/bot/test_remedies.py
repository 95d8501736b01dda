"""Proposals from a hypothesis: exact arguments, and never an action that would make things worse."""

from __future__ import annotations

from bot.models import Hypothesis
from bot.remedies import propose_actions
from knowledge.documents import Action, Runbook
from tools.registry import default_registry

SURGE = Runbook(id="rb-surge", kind="runbook", title="Traffic surge", category="traffic_surge", services=["*"],
                path="surge.md", actions=[Action(tool="scale_service", args={"replicas": "+50%"}),
                                          Action(tool="toggle_flag", args={"flag": "shed-load", "enabled": True})])


def hypothesis(category: str = "traffic_surge") -> Hypothesis:
    return Hypothesis(service="public-api", category=category, confidence=0.9, summary="surge", evidence=[])


def test_a_surge_is_scaled_out_when_its_dependencies_cope() -> None:
    proposals = propose_actions(hypothesis(), SURGE, default_registry(), {"service": "public-api"})
    assert [p.tool for p in proposals] == ["scale_service", "toggle_flag"]
    assert proposals[1].args["enabled"] is True, "the runbook's own flag setting is kept"


def test_no_scale_out_of_a_service_whose_load_already_overwhelms_its_dependencies() -> None:
    proposals = propose_actions(hypothesis(), SURGE, default_registry(),
                                {"service": "public-api", "overloaded": ["stats-db"]})
    assert [p.tool for p in proposals] == ["toggle_flag"]


def test_nothing_to_roll_back_without_a_change() -> None:
    deploy = Runbook(id="rb-deploy", kind="runbook", title="Bad deploy", category="bad_deploy", services=["*"],
                     path="deploy.md", actions=[Action(tool="rollback_deploy")])
    assert propose_actions(hypothesis("bad_deploy"), deploy, default_registry(), {}) == []
    rolled = propose_actions(hypothesis("bad_deploy"), deploy, default_registry(),
                             {"changed": True, "previous_version": "v1.2.3"})
    assert rolled[0].args == {"service": "public-api", "to_version": "v1.2.3"}
