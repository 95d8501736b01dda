"""The lab's fault catalogue, alert rules and topology agree with the bundled runbooks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from evals.lab.faults import FAULTS, fault, next_version
from evals.lab.monitoring import RULE_FILES
from evals.lab.topology import SERVICES, TOPOLOGY, LabLayout
from knowledge.documents import Runbook, load_documents
from knowledge.retrieval import bundled_paths
from knowledge.taxonomy import categories


@pytest.fixture(scope="module")
def runbooks() -> dict[str, Runbook]:
    return {d.id: d for d in load_documents(bundled_paths()[:1]) if isinstance(d, Runbook)}


def test_there_are_at_least_eight_faults_and_a_noise_fault() -> None:
    symptomatic = [f for f in FAULTS.values() if f.symptomatic]
    assert len(symptomatic) >= 8
    assert not FAULTS["noise"].symptomatic


@pytest.mark.parametrize("name", [n for n, f in FAULTS.items() if f.symptomatic])
def test_every_fault_matches_a_runbook_its_category_and_its_fix(name: str, runbooks: dict[str, Runbook]) -> None:
    chosen = FAULTS[name]
    runbook = runbooks[chosen.runbook]
    assert chosen.category == runbook.category
    assert chosen.category in categories()
    assert chosen.action in [a.tool for a in runbook.actions]
    assert chosen.service in chosen.services


def test_unknown_fault_names_the_known_ones() -> None:
    with pytest.raises(Exception, match="bad_deploy"):
        fault("nope")


def test_next_version() -> None:
    assert next_version("2.3.1") == "2.4.0"
    assert next_version("2.3.1", "patch") == "2.3.2"
    assert next_version("14.2") == "14.3.0"


def test_alerts_use_runbook_alert_names_and_short_for(runbooks: dict[str, Runbook]) -> None:
    data = yaml.safe_load(RULE_FILES[0].read_text())
    alerts = {r["alert"]: r for g in data["groups"] for r in g["rules"]}
    known = {a for rb in runbooks.values() for a in rb.alerts}
    assert {
        "HighErrorRate",
        "HighLatencyP99",
        "DBPoolSaturated",
        "KubePodCrashLooping",
        "KubeContainerOOMKilled",
        "MemoryGrowthSustained",
    } <= set(alerts) & known
    assert {"ServiceDown", "QueueDepthGrowing"} <= set(alerts)
    for name, rule in alerts.items():
        slow_burn = name == "MemoryGrowthSustained"  # by design: a fast leak pages as an OOM kill first
        assert int(str(rule.get("for", "0s")).rstrip("s")) <= (30 if slow_burn else 10)


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool (Debian's prometheus package) not installed")
def test_promtool_accepts_the_rule_files() -> None:
    result = subprocess.run(["promtool", "check", "rules", *map(str, RULE_FILES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_topology_and_ports() -> None:
    assert len(SERVICES) >= 5
    assert TOPOLOGY["gateway"] == ["checkout", "inventory"]
    assert "payments" in TOPOLOGY["checkout"] and "inventory" in TOPOLOGY["checkout"]
    layout = LabLayout(Path("/tmp/x"), 20000)
    ports = layout.all_ports()
    assert len(ports) == len(set(ports))
    assert layout.service_port("gateway") == 20010
    assert layout.service_port("checkout", 2) == 20022
    with pytest.raises(ValueError):
        layout.service_port("nope")


def test_a_release_that_crashes_on_start_is_rightly_named_a_crash_loop_or_a_bad_deploy() -> None:
    assert FAULTS["crash_loop"].names("crash_loop") and FAULTS["crash_loop"].names("bad_deploy")
    assert not FAULTS["crash_loop"].names("memory_leak")
    assert not FAULTS["bad_deploy"].names("crash_loop"), "a release that throws 5xx does not crash"
