"""Changes tied to the trouble across time: a family from whatever the feed calls a change, a step soon
after, a trend that began with it hours ago, auth failures a day after a key rotation."""

from __future__ import annotations

from tools.rca.changes import Symptoms, family_of, link_changes, to_links
from tools.rca.params import Params
from tools.sources.base import Change

ONSET = 1_800_000_000.0
HOUR = 3600.0


def test_families_come_from_the_kind_or_else_the_words() -> None:
    assert family_of(Change(0, "a", "deploy", version="v2")) == "deploy"
    assert family_of(Change(0, "a", "flag", flag="new-ranker")) == "config"
    assert family_of(Change(0, "a", "secret_rotation")) == "credential"
    assert family_of(Change(0, "a", "config", "rotated access key AKIA… for svc-x; old key deactivates at 14:00")) == \
        "credential", "a config change that rotates a key is a credential change"
    assert family_of(Change(0, "a", "job", "reindex started by hand")) == "job"
    assert family_of(Change(0, "a", "external", "provider status page: elevated 503 on PUT")) == "infra"


def _link(change: Change, seen: Symptoms) -> str:
    links = to_links([change], ONSET, set(), Params())
    link_changes(links, {change.service: seen}, Params(), 60.0)
    return links[0].linked if links else "out of range"


def test_a_slope_that_began_with_an_old_deploy_is_tied_to_it_and_a_step_hours_later_is_not() -> None:
    deploy = Change(ONSET - 6 * HOUR, "ledger", "deploy", version="v7.3.0")
    slope = Symptoms(onset=ONSET - 1800, trend_starts=[("memory_usage_bytes", ONSET - 6 * HOUR + 120)])
    assert "memory_usage_bytes began to trend with it" in _link(deploy, slope)
    assert _link(deploy, Symptoms(onset=ONSET - 1800, trend_starts=[])) == ""


def test_auth_failures_are_tied_to_a_credential_change_a_day_old_but_not_a_week_and_a_half() -> None:
    rotation = Change(ONSET - 26 * HOUR, "address-svc", "secret_rotation", "rotated geo-vendor API key")
    failing = Symptoms(onset=ONSET - 480, trend_starts=[], auth_failures=True)
    assert "authentication failures followed" in _link(rotation, failing)
    assert _link(rotation, Symptoms(onset=ONSET - 480, trend_starts=[])) == "", "no auth failure, no tie"
    ancient = Change(ONSET - 10 * 24 * HOUR, "address-svc", "secret_rotation")
    assert _link(ancient, failing) == "out of range"


def test_a_step_soon_after_a_config_change_is_tied_and_weakens_with_the_delay() -> None:
    change = Change(ONSET - 600, "search", "flag", flag="semantic-rerank")
    near = to_links([change], ONSET, set(), Params())
    link_changes(near, {"search": Symptoms(onset=ONSET - 480, trend_starts=[])}, Params(), 30.0)
    late = to_links([change], ONSET, set(), Params())
    link_changes(late, {"search": Symptoms(onset=ONSET + 2400, trend_starts=[])}, Params(), 30.0)
    assert near[0].linked and late[0].linked
    assert near[0].link_strength > late[0].link_strength > 0


def test_a_migration_is_tied_only_to_database_trouble() -> None:
    migration = Change(ONSET - 540, "orders-db", "migration", "ALTER TABLE orders ADD COLUMN …")
    assert _link(migration, Symptoms(onset=ONSET - 500, trend_starts=[], db_trouble=True))
    assert _link(migration, Symptoms(onset=ONSET - 500, trend_starts=[])) == ""


def test_an_infra_change_that_sets_a_workloads_replicas_or_limits_is_configuration() -> None:
    def family(description: str) -> str:
        return family_of(Change(ts=0.0, service="search-api", kind="infra", description=description))

    assert family("kubectl scale deployment/search-api --replicas=2 (k8s audit log)") == "config"
    assert family("memory limit 2Gi -> 512Mi") == "config"
    assert family("HPA maxReplicas 30 -> 10") == "config"
    assert family("node pool upgrade to 1.29") == "infra"
    assert family("istio 1.22.1 -> 1.22.2 mesh upgrade") == "infra"
