"""Callers that fail because of a change a service they call made."""

from __future__ import annotations

from tests.support.telemetry import evidence_of, shift
from tools.rca.changes import Symptoms
from tools.rca.evidence import Evidence
from tools.rca.params import Params
from tools.rca.quoting import quoting_callers


def test_callers_failing_for_a_name_their_dependency_changed_suffer_that_change() -> None:
    limit = {
        "service": "orders-db",
        "kind": "config",
        "family": "config",
        "minutes_before_onset": 2.0,
        "description": "orders-db: ALTER ROLE app_user CONNECTION LIMIT 60",
    }
    view = evidence_of(
        [
            shift("orders", "db_pool_wait_seconds", 0.001, 2.2, 80.0, kind="saturation"),
            shift("billing", "db_pool_wait_seconds", 0.001, 1.5, 40.0, kind="saturation"),
            shift("reports", "error_ratio", 0.001, 0.2, 30.0, kind="errors"),
            shift("orders-db", "cpu_usage_ratio", 0.3, 0.28, 0.5, kind="cpu"),
        ],
        changes=[limit],
    )
    view.topology = {"orders": ["orders-db"], "billing": ["orders-db"], "reports": ["warehouse"]}
    refused = frozenset({"app_user"})
    symptoms = {
        "orders": Symptoms(None, [], failure_names=refused),
        "billing": Symptoms(None, [], failure_names=frozenset({"HikariPool-1"})),
        "reports": Symptoms(None, [], failure_names=refused),  # quotes it, but does not call orders-db
    }
    quoting_callers(view, symptoms, Params())
    assert view.quoted_by == {"orders-db": ["orders"]}
    assert view.services["orders"].propagated_from == ["orders-db"]
    assert not view.services["billing"].propagated_from and not view.services["reports"].propagated_from
    assert "quote app_user" in view.changes[0].linked
    rotated = {**limit, "kind": "secret", "family": "credential", "description": "rotated orders-db app_user password"}
    view = evidence_of(
        [shift("orders", "db_pool_wait_seconds", 0.001, 2.2, 80.0, kind="saturation")], changes=[rotated]
    )
    view.topology = {"orders": ["orders-db"]}
    quoting_callers(view, symptoms, Params())
    assert not view.quoted_by, "a rotated password is the caller's to present: its failure is the caller's"


def test_callers_whose_errors_name_a_dependency_whose_change_broke_it_fail_because_of_it() -> None:
    """Two services crash-loop at start-up on the config server's new 404s; one of them had a release of
    its own. The config server's release, tied to its own 404s, explains both."""

    def view(releases: list[str]) -> Evidence:
        changes = [
            {
                "service": name,
                "kind": "deploy",
                "family": "deploy",
                "minutes_before_onset": 15.0,
                "description": f"{name} release",
                "linked": "the trouble began 1 min after it",
                "link_strength": 1.0,
            }
            for name in releases
        ]
        return evidence_of(
            [
                shift("search", "restarts_total", 0, 13, 32.0, kind="restarts"),
                shift("cart", "restarts_total", 0, 15, 37.0, kind="restarts"),
                shift("config", "http_404_ratio", 0.0, 0.8, 98.0),
            ],
            changes=changes,
        )

    both = view(["config", "search"])
    quoting_callers(both, {}, Params(), {"config": ["cart", "search"]})
    assert both.quoted_by == {"config": ["cart", "search"]}
    assert both.services["search"].propagated_from == ["config"]

    one = view(["config", "search"])
    quoting_callers(one, {}, Params(), {"config": ["search"]})
    assert not one.quoted_by, "one caller with a release of its own tied to its trouble may be its own fault"

    untied = view(["search"])
    quoting_callers(untied, {"config": Symptoms(None, [])}, Params(), {"config": ["cart", "search"]})
    assert not untied.quoted_by, "a dependency with no change of its own tied to its trouble explains nothing"
