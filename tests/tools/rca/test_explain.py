"""Abductive fits: the fault that explains the most evidence wins; a cause claims its effects' evidence
only with defining evidence of its own; a symptom wins when no cause explains it."""

from __future__ import annotations

from knowledge.documents import Check, Runbook
from tests.support.telemetry import evidence_of, shift
from tools.rca.explain import category_fits
from tools.rca.params import Params

CPU = Runbook(
    id="rb-cpu",
    kind="runbook",
    title="cpu",
    category="cpu_saturation",
    services=["*"],
    path="c.md",
    checks=[
        Check(name="throttled", metric="cpu_throttled_ratio", expect="up", weight=3),
        Check(name="cpu high", metric="cpu_usage_ratio", expect="above:0.9", weight=2),
        Check(name="latency up", metric="latency_p99_seconds", expect="up", weight=1),
    ],
)
FLAG = Runbook(
    id="rb-flag",
    kind="runbook",
    title="flag",
    category="bad_config",
    services=["*"],
    path="f.md",
    checks=[
        Check(name="flag flipped", change="flag", within="30m", weight=3),
        Check(name="errors up", metric="error_ratio", expect="up", weight=1),
    ],
)
SURGE = Runbook(
    id="rb-surge",
    kind="runbook",
    title="surge",
    category="traffic_surge",
    services=["*"],
    path="s.md",
    checks=[
        Check(name="requests up", metric="request_rate", expect="up", weight=3),
        Check(name="cpu up", metric="cpu_usage_ratio", expect="up", weight=1),
    ],
)

HOT = [
    shift("search", "cpu_throttled_ratio", 0.02, 0.5, 46.0, kind="cpu"),
    shift("search", "cpu_usage_ratio", 0.4, 0.99, 13.0, kind="cpu"),
    shift("search", "latency_p99_seconds", 0.24, 1.5, 50.0, kind="latency"),
]
FLIP = [
    {
        "service": "search",
        "kind": "flag",
        "family": "config",
        "flag": "semantic-rerank",
        "minutes_before_onset": 2.0,
        "linked": "the trouble began 2 min after it",
        "link_strength": 0.9,
    }
]


def _fits(
    changes: list[dict[str, object]] | None,
    *runbooks: Runbook,
    shifts: list[dict[str, object]] = HOT,
    neutral: frozenset[str] = frozenset(),
) -> dict[str, float]:
    evidence = evidence_of(shifts, changes=changes or [])
    return {c: f.score for c, f in category_fits(list(runbooks), "search", evidence, Params(), neutral).items()}


def test_a_flag_flip_explains_the_cpu_it_burns() -> None:
    fits = _fits(FLIP, CPU, FLAG)
    assert fits["bad_config"] > fits["cpu_saturation"], fits


def test_without_the_flip_the_symptom_is_the_answer() -> None:
    fits = _fits(None, CPU, FLAG)
    assert fits["cpu_saturation"] > fits["bad_config"], fits


def test_a_cause_without_defining_evidence_claims_nothing() -> None:
    """traffic_surge causes cpu_saturation, but a CPU rise alone (no request rise) is not a surge's doing."""
    fits = _fits(None, CPU, SURGE)
    assert fits["cpu_saturation"] > 2 * fits["traffic_surge"], fits


def test_a_traffic_rise_the_callers_made_is_no_sign_of_a_surge() -> None:
    busy = [*HOT, shift("search", "request_rate", 300.0, 740.0, 10.0, kind="traffic")]
    assert _fits(None, CPU, SURGE, shifts=busy)["traffic_surge"] > _fits(None, CPU, shifts=busy)["cpu_saturation"]
    neutral = _fits(None, CPU, SURGE, shifts=busy, neutral=frozenset({"traffic"}))
    assert neutral["cpu_saturation"] > neutral.get("traffic_surge", 0.0), neutral


DISK = Runbook(
    id="rb-disk",
    kind="runbook",
    title="disk",
    category="disk_full",
    services=["*"],
    path="d.md",
    checks=[Check(name="disk filling", metric="disk_usage_ratio", expect="up", weight=3)],
)
CRASH = Runbook(
    id="rb-crash",
    kind="runbook",
    title="crash",
    category="crash_loop",
    services=["*"],
    path="k.md",
    checks=[
        Check(name="restarts", metric="restarts_total", expect="up", weight=3),
        Check(name="a new release", change="deploy", within="2h", weight=2),
    ],
)
DEPLOY = Runbook(
    id="rb-deploy",
    kind="runbook",
    title="deploy",
    category="bad_deploy",
    services=["*"],
    path="b.md",
    checks=[
        Check(name="a deploy shortly before", change="deploy", within="2h", weight=3),
        Check(name="restarts", metric="restarts_total", expect="up", weight=1),
    ],
)


def test_a_cause_never_explains_a_recorded_change() -> None:
    """disk_full causes crash_loop, so a full disk explains the restarts; the release that went out before
    is no consequence of the disk, and stays the deploy's to explain."""
    dumps = [
        shift("search", "disk_usage_ratio", 0.4, 0.95, 12.0, kind="disk"),
        shift("search", "restarts_total", 0.0, 90.0, 20.0, kind="restarts"),
    ]
    release = [
        {
            "service": "search",
            "kind": "deploy",
            "family": "deploy",
            "version": "v5.2",
            "minutes_before_onset": 60.0,
            "linked": "disk_usage_ratio began to trend with it",
            "link_strength": 1.0,
        }
    ]
    evidence = evidence_of(dumps, changes=release)
    fits = category_fits([DISK, CRASH, DEPLOY], "search", evidence, Params())
    assert not [o for o in fits["disk_full"].explained if o.check.kind == "change"], fits["disk_full"].explained
    assert any(o.check.kind == "metric" for o in fits["disk_full"].explained), "the restarts stay explained"
