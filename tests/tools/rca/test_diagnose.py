"""The diagnosis end to end on typed evidence: which fault a service's own signals suggest when no runbook
says more."""

from __future__ import annotations

from tests.support.telemetry import evidence_of, shift
from tools.rca.diagnose import Context, diagnose


def _errors_after(change_kind: str, family: str) -> list:  # type: ignore[type-arg]
    change = {"service": "inventory", "kind": change_kind, "family": family, "ts": -120.0,
              "minutes_before_onset": 2.0, "description": "DestinationRule http1MaxPendingRequests 1024 -> 10"}
    view = evidence_of([shift("inventory", "error_ratio", 0.001, 0.18, 60.0, kind="errors")], changes=[change])
    return diagnose(view, [], Context(alerted=["inventory"]))


def test_errors_right_after_a_config_change_with_no_deploy_suggest_the_config_not_a_release() -> None:
    assert _errors_after("config", "config")[0].category == "bad_config"
    assert _errors_after("deploy", "deploy")[0].category == "bad_deploy"
