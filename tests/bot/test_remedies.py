"""Proposals from a hypothesis: exact arguments, and never an action that would make things worse."""

from __future__ import annotations

from bot.models import Hypothesis
from bot.remedies import propose_actions
from knowledge.documents import Action, Runbook
from tools.registry import default_registry

SURGE = Runbook(
    id="rb-surge",
    kind="runbook",
    title="Traffic surge",
    category="traffic_surge",
    services=["*"],
    path="surge.md",
    actions=[
        Action(tool="scale_service", args={"replicas": "+50%"}),
        Action(tool="toggle_flag", args={"flag": "shed-load", "enabled": True}),
    ],
)


def hypothesis(category: str = "traffic_surge") -> Hypothesis:
    return Hypothesis(service="public-api", category=category, confidence=0.9, summary="surge", evidence=[])


def test_a_surge_is_scaled_out_when_its_dependencies_cope() -> None:
    proposals = propose_actions(hypothesis(), SURGE, default_registry(), {"service": "public-api"})
    assert [p.tool for p in proposals] == ["scale_service", "toggle_flag"]
    assert proposals[1].args["enabled"] is True, "the runbook's own flag setting is kept"


def test_no_scale_out_of_a_service_whose_load_already_overwhelms_its_dependencies() -> None:
    proposals = propose_actions(
        hypothesis(), SURGE, default_registry(), {"service": "public-api", "overloaded": ["stats-db"]}
    )
    assert [p.tool for p in proposals] == ["toggle_flag"]


def test_nothing_to_roll_back_without_a_deploy() -> None:
    """A migration or a config change leaves no release to go back to: rolling back would redeploy the
    previous image of an innocent service."""
    deploy = Runbook(
        id="rb-deploy",
        kind="runbook",
        title="Bad deploy",
        category="bad_deploy",
        services=["*"],
        path="deploy.md",
        actions=[Action(tool="rollback_deploy")],
    )
    assert propose_actions(hypothesis("bad_deploy"), deploy, default_registry(), {}) == []
    assert propose_actions(hypothesis("lock_contention"), deploy, default_registry(), {"config": "pool 10"}) == []
    rolled = propose_actions(
        hypothesis("bad_deploy"), deploy, default_registry(), {"deployed": True, "previous_version": "v1.2.3"}
    )
    assert rolled[0].args == {"service": "public-api", "to_version": "v1.2.3"}


def test_a_rate_limited_service_is_not_scaled_up_nor_expired_credentials_restarted_without_a_new_secret() -> None:
    scale = Runbook(
        id="rb-s",
        kind="runbook",
        title="s",
        category="rate_limiting",
        services=["*"],
        path="s.md",
        actions=[
            Action(tool="scale_service", args={"replicas": "+2"}),
            Action(tool="scale_service", args={"replicas": "-50%"}),
        ],
    )
    assert [
        p.args["replicas"] for p in propose_actions(hypothesis("rate_limiting"), scale, default_registry(), {})
    ] == ["-50%"], "more callers of an API that refuses us only make more refused calls"
    restart = Runbook(
        id="rb-r",
        kind="runbook",
        title="r",
        category="expired_credentials",
        services=["*"],
        path="r.md",
        actions=[Action(tool="restart_service")],
    )
    assert propose_actions(hypothesis("expired_credentials"), restart, default_registry(), {}) == []
    assert propose_actions(hypothesis("expired_credentials"), restart, default_registry(), {"rotated": True})


def test_runbook_actions_are_offered_only_when_their_conditions_were_established() -> None:
    """A rotation that already happened needs a restart to be picked up, not another rotation; a
    cordon needs the one node the trouble is confined to."""
    creds = Runbook(
        id="rb-creds",
        kind="runbook",
        title="Expired credentials",
        category="expired_credentials",
        services=["*"],
        path="creds.md",
        actions=[
            Action(tool="run_automation", args={"job": "rotate-credentials"}, unless=["rotated"]),
            Action(tool="restart_service", when=["rotated"]),
        ],
    )
    fresh = propose_actions(hypothesis("expired_credentials"), creds, default_registry(), {})
    assert [p.tool for p in fresh] == ["run_automation"]
    rotated = propose_actions(hypothesis("expired_credentials"), creds, default_registry(), {"rotated": True})
    assert [p.tool for p in rotated] == ["restart_service"]
    node = Runbook(
        id="rb-node",
        kind="runbook",
        title="Slow node",
        category="network_latency",
        services=["*"],
        path="node.md",
        actions=[Action(tool="cordon_node", args={"node": "$node"}, when=["node"])],
    )
    assert propose_actions(hypothesis("network_latency"), node, default_registry(), {}) == []
    cordon = propose_actions(hypothesis("network_latency"), node, default_registry(), {"node": "ip-10-0-3-17"})
    assert [p.args["node"] for p in cordon] == ["ip-10-0-3-17"]


def test_no_scale_out_of_consumers_that_crash_on_their_input() -> None:
    """A backlog behind consumers in CrashLoopBackOff is not a capacity problem: more replicas read the same
    poison message and crash the same way."""
    backlog = Runbook(
        id="rb-backlog",
        kind="runbook",
        title="Queue backlog",
        category="queue_backlog",
        services=["*"],
        path="backlog.md",
        actions=[Action(tool="scale_service", args={"replicas": "+2"})],
    )
    assert [p.tool for p in propose_actions(hypothesis("queue_backlog"), backlog, default_registry(), {})] == [
        "scale_service"
    ]
    assert propose_actions(hypothesis("queue_backlog"), backlog, default_registry(), {"crashing": True}) == []


def test_a_datastore_is_not_restarted_by_a_proposal() -> None:
    """A database, cache or broker restarted drops every client and its warm state; its fix is targeted."""
    creds = Runbook(
        id="rb-creds",
        kind="runbook",
        title="Expired credentials",
        category="expired_credentials",
        services=["*"],
        path="creds.md",
        actions=[Action(tool="restart_service")],
    )
    assert [
        p.tool for p in propose_actions(hypothesis("expired_credentials"), creds, default_registry(), {"rotated": True})
    ] == ["restart_service"]
    assert (
        propose_actions(
            hypothesis("expired_credentials"), creds, default_registry(), {"rotated": True, "datastore": True}
        )
        == []
    )


def test_a_leak_is_rolled_back_only_to_before_the_release_it_began_with() -> None:
    """A deploy 40 minutes ago does not explain a leak that began two days ago with a mesh upgrade."""
    leak = Runbook(
        id="rb-leak",
        kind="runbook",
        title="Memory leak",
        category="memory_leak",
        services=["*"],
        path="leak.md",
        actions=[Action(tool="rollback_deploy", when=["release_began"])],
    )
    recent = {"deployed": True, "previous_version": "v3.13.2"}
    assert propose_actions(hypothesis("memory_leak"), leak, default_registry(), recent) == []
    began = propose_actions(hypothesis("memory_leak"), leak, default_registry(), {**recent, "release_began": True})
    assert [p.tool for p in began] == ["rollback_deploy"]


def test_a_restart_for_a_certificate_waits_for_a_renewed_one() -> None:
    """Restarting makes start-up readers load the renewed certificate; with none issued yet it changes nothing."""
    cert = Runbook(
        id="rb-cert",
        kind="runbook",
        title="Certificate expiry",
        category="certificate_expiry",
        services=["*"],
        path="cert.md",
        actions=[Action(tool="restart_service", when=["renewed"])],
    )
    assert propose_actions(hypothesis("certificate_expiry"), cert, default_registry(), {}) == []
    assert [
        p.tool for p in propose_actions(hypothesis("certificate_expiry"), cert, default_registry(), {"renewed": True})
    ] == ["restart_service"]


def test_a_lost_node_is_cordoned_first_and_drained_only_when_nothing_gentler_exists() -> None:
    """Cordoning moves nothing and is undone by an uncordon: a write. Draining evicts every pod on the node."""
    node = Runbook(
        id="rb-node",
        kind="runbook",
        title="Node lost",
        category="node_failure",
        services=["*"],
        path="node.md",
        actions=[
            Action(tool="cordon_node", args={"node": "$node"}, risk="write"),
            Action(tool="run_automation", args={"job": "drain-node"}, risk="destructive"),
        ],
    )
    proposals = propose_actions(hypothesis("node_failure"), node, default_registry(), {"node": "worker-3"})
    assert [(p.tool, p.args.get("node"), p.risk) for p in proposals] == [("cordon_node", "worker-3", "write")]


def test_a_fallback_for_a_failing_dependency_is_switched_on_at_its_caller() -> None:
    outage = Runbook(
        id="rb-outage",
        kind="runbook",
        title="Outage",
        category="dependency_outage",
        services=["*"],
        path="outage.md",
        actions=[Action(tool="toggle_flag", args={"flag": "degraded-mode", "enabled": True, "service": "$caller"})],
    )
    vendor = Hypothesis(service="fx-vendor", category="dependency_outage", confidence=0.9, summary="down", evidence=[])
    proposals = propose_actions(vendor, outage, default_registry(), {"caller": "pricing"})
    assert [(p.tool, p.args["service"], p.args["enabled"]) for p in proposals] == [("toggle_flag", "pricing", True)]
    assert propose_actions(vendor, outage, default_registry(), {}) == [], "no caller known: never guess the target"


def test_no_scale_out_of_work_pinned_to_a_few_pods() -> None:
    """A hot partition keeps one consumer at 100% while eleven idle: new replicas would get none of it."""
    proposals = propose_actions(hypothesis(), SURGE, default_registry(), {"service": "public-api", "skewed": True})
    assert [p.tool for p in proposals] == ["toggle_flag"]


def test_no_rollback_when_a_migration_is_what_the_trouble_waits_on() -> None:
    """A release's pre-upgrade hook ran an ALTER TABLE that queues behind a lock: rolling the code back
    leaves the migration (and the queue behind it) where it is."""
    deploy = Runbook(
        id="rb-deploy",
        kind="runbook",
        title="Bad deploy",
        category="bad_deploy",
        services=["*"],
        path="deploy.md",
        actions=[Action(tool="rollback_deploy")],
    )
    assert (
        propose_actions(hypothesis("bad_deploy"), deploy, default_registry(), {"deployed": True, "migrated": True})
        == []
    )
