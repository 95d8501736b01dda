"""Changes tied to the trouble across time: a family from whatever the feed calls a change, a step soon
after, a trend that began with it hours ago, auth failures a day after a key rotation."""

from __future__ import annotations

from tools.rca.changes import (
    Symptoms,
    family_of,
    identifiers,
    link_changes,
    link_stops,
    refused_credentials,
    to_links,
)
from tools.rca.params import Params
from tools.sources.base import Change

ONSET = 1_800_000_000.0
HOUR = 3600.0


def test_families_come_from_the_kind_or_else_the_words() -> None:
    assert family_of(Change(0, "a", "deploy", version="v2")) == "deploy"
    assert family_of(Change(0, "a", "flag", flag="new-ranker")) == "config"
    assert family_of(Change(0, "a", "secret_rotation")) == "credential"
    assert (
        family_of(Change(0, "a", "config", "rotated access key AKIA… for svc-x; old key deactivates at 14:00"))
        == "credential"
    ), "a config change that rotates a key is a credential change"
    assert family_of(Change(0, "a", "job", "reindex started by hand")) == "job"
    assert family_of(Change(0, "a", "external", "provider status page: elevated 503 on PUT")) == "infra"


def _link(change: Change, seen: Symptoms) -> str:
    links = to_links([change], ONSET, set(), Params())
    link_changes(links, {change.service: seen}, Params(), 60.0)
    return links[0].linked if links else "out of range"


def test_a_slope_that_began_with_an_old_deploy_is_tied_to_it_and_a_step_hours_later_is_not() -> None:
    deploy = Change(ONSET - 6 * HOUR, "ledger", "deploy", version="v7.3.0")
    slope = Symptoms(onset=ONSET - 1800, trend_starts=[("memory_usage_bytes", ONSET - 6 * HOUR + 120, 60.0)])
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


def test_a_failure_that_quotes_a_key_a_change_set_is_tied_to_it_however_old() -> None:
    """Pods rescheduled two days after a secret lost a key crash quoting that key: the edit is the cause,
    not the drain that rescheduled them; an edit the failures do not quote stays untied."""
    edit = Change(
        ONSET - 50 * HOUR,
        "notifications",
        "secret",
        "secret notifications-smtp updated: keys SMTP_PASSWORD removed, SMTP_PASS added",
    )
    quoting = Symptoms(onset=ONSET - 300, trend_starts=[], failure_names=frozenset({"SMTP_PASSWORD"}))
    assert "quote SMTP_PASSWORD" in _link(edit, quoting)
    assert _link(edit, Symptoms(onset=ONSET - 300, trend_starts=[], failure_names=frozenset({"db.pool.size"}))) == ""
    assert identifiers("ratelimit.enterprise.rps: 1000 -> 100 (v4.8.2, 10.0.0.53)") == {"ratelimit.enterprise.rps"}
    assert identifiers("failed to flush chunk: input=tail.0 > output=http.0, worker_1, REDIS_DB_0") == {"REDIS_DB_0"}, (
        "a copy's ordinal (tail.0, worker_1) is quoted by every line about it"
    )


def test_a_secret_edit_that_adds_or_removes_keys_is_configuration_and_a_rotation_a_credential() -> None:
    assert family_of(Change(0, "a", "secret", "keys SMTP_PASSWORD removed, SMTP_PASS added")) == "config"
    assert family_of(Change(0, "a", "secret", "rotated the SMTP password")) == "credential"
    assert family_of(Change(0, "a", "scale", "deployment cdc-connector replicas 1 -> 0")) == "config"


def test_a_stopped_workload_is_tied_to_what_began_to_pile_up_when_it_stopped() -> None:
    """A consumer scaled to zero drains nothing: the database's disk that began to fill then (dated from a
    coarse 10-minute read, so known to within a few of those) is its doing; a climb hours later is not."""
    stop = Change(ONSET - 48 * HOUR, "cdc-connector", "scale", "deployment cdc-connector replicas 1 -> 0")

    def tied(began: float) -> dict[str, str]:
        links = to_links([stop], ONSET, set(), Params())
        filling = Symptoms(onset=ONSET - 600, trend_starts=[("disk_usage_ratio", began, 600.0)])
        return link_stops(links, {"orders-db": filling, "cdc-connector": Symptoms(None, [])}, Params(), 30.0)

    assert tied(ONSET - 48 * HOUR + 1500) == {"orders-db": "cdc-connector"}
    assert tied(ONSET - 40 * HOUR) == {}


def test_a_change_after_which_a_workload_drains_less_is_tied_to_the_pile_that_began_with_it() -> None:
    """A consumer whose prefetch was cut to one handles a sixth of its messages: the queue that began to
    grow with that change is its doing. The same change with the consumer's throughput unchanged, or a
    throughput drop that was there before the change, ties nothing."""
    change = Change(ONSET - 50 * 60, "notifier-worker", "config", "notifier-worker values: RABBITMQ_PREFETCH 50 -> 1")
    growing = Symptoms(onset=ONSET - 48 * 60, trend_starts=[("queue_depth", ONSET - 48 * 60, 0.0)])

    def tied(drained_less_at: float | None) -> dict[str, str]:
        links = to_links([change], ONSET, set(), Params())
        worker = Symptoms(None, [], drained_less_at=drained_less_at)
        return link_stops(links, {"rabbitmq": growing, "notifier-worker": worker}, Params(), 60.0)

    assert tied(ONSET) == {"rabbitmq": "notifier-worker"}
    assert tied(None) == {}
    assert tied(ONSET - 3 * HOUR) == {}

    links = to_links([change], ONSET, set(), Params())
    links[0].linked = "the trouble began 2 min after it"  # its own trouble ties it already: a release that
    worker = Symptoms(None, [], drained_less_at=ONSET)  # deadlocked its consumers stops them too
    piled = link_stops(links, {"rabbitmq": growing, "notifier-worker": worker}, Params(), 60.0)
    assert piled == {"rabbitmq": "notifier-worker"} and "began to climb" in links[0].linked


def test_a_refusal_that_gives_a_rate_reason_is_no_credential_failure() -> None:
    """GitHub answers a rate limit with "403 Forbidden": the warning that gives the reason makes the bare
    403s of the same service rate refusals too. A 403 with no reason, or one that names a key, is still a
    credential's."""
    bare = "ERROR jobs sync: GitHub returned 403 Forbidden for installation 31337421"
    reason = 'WARN github: GET /repos -> 403 Forbidden {"message":"API rate limit exceeded"} x-ratelimit-remaining=0'
    assert refused_credentials([bare])
    assert not refused_credentials([bare], said=[reason])
    assert not refused_credentials([reason])
    assert refused_credentials([bare, "ERROR github: 401 Bad credentials: invalid token"], said=[reason])
