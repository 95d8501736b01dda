"""``andon investigate``: every bundled example alert investigates to the right service and cause, as JSON;
usage errors are clear; a blind investigation is inconclusive, never healthy. It keeps the incident in the
store `andon incident` reads, marked ``replay`` when its telemetry was a fixture, and shows its id, so
`andon incident resolve <id>` then works on it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.store import open_store
from tests.bot.cli.conftest import Andon, json_out
from tests.support.andon_process import run_andon

ROOT = Path(__file__).resolve().parents[3]
ALERT = ROOT / "examples" / "alerts" / "checkout-bad-deploy.json"
EXPECTED = {
    "checkout-bad-deploy": ("checkout", "bad_deploy", "rollback_deploy"),
    "orders-pool-exhaustion": ("orders", "connection_pool_exhaustion", None),
    "payments-memory-leak": ("payments", "memory_leak", "restart_service"),
    "search-bad-flag": ("search", "bad_config", "toggle_flag"),
    "worker-queue-backlog": ("worker", "queue_backlog", "scale_service"),
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_investigate_example_names_service_and_cause(name: str, data_dir: Path) -> None:
    result = run_andon("investigate", "--alert", f"examples/alerts/{name}.json", "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    service, category, action = EXPECTED[name]
    assert report["root_cause"]["service"] == service
    assert report["root_cause"]["category"] == category
    assert report["hypotheses"] and all(h["evidence"] for h in report["hypotheses"])
    assert {"tokens", "duration_s", "proposals"} <= set(report)
    if action:
        assert action in [p["tool"] for p in report["proposals"]]
    assert not report["actions"], "investigate never executes anything"


def test_usage_errors_are_clear(data_dir: Path) -> None:
    both = run_andon("investigate", data_dir=data_dir)
    assert both.returncode == 2 and "exactly one of --alert" in both.stderr
    missing = run_andon("investigate", "--text", "checkout is slow", data_dir=data_dir)
    assert missing.returncode == 2 and "no telemetry" in missing.stderr


def test_a_blind_investigation_is_inconclusive_never_healthy(data_dir: Path) -> None:
    """Prometheus configured but unreachable: every metric read fails, so Andon says what it could not read
    and exits 3; it never calls the incident a false alarm."""
    from tests.support.net import free_port

    result = run_andon(
        "investigate",
        "--text",
        "checkout is slow",
        "--json",
        data_dir=data_dir,
        env={"ANDON_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}"},
    )
    assert result.returncode == 3, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["verdict"] == "inconclusive"
    assert report["root_cause"]["category"] != "no_fault" and not report["proposals"]
    assert any("could not read" in note and "metrics" in note for note in report["notes"]), report["notes"]
    assert "Prometheus at http://127.0.0.1:" in report["summary"], "the summary names the backend it could not read"


def test_investigate_stores_the_incident_for_incident_resolve(andon: Andon, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    report = json_out(andon("investigate", "--alert", str(ALERT), "--json", data_dir=data_dir))
    incident_id = report["incident_id"]
    assert incident_id == report["incident"]["id"] and report["origin"] == "replay"

    [row] = json_out(andon("incident", "list", "--json", data_dir=data_dir))
    assert row["id"] == incident_id and row["origin"] == "replay"
    assert (row["root_cause"]["service"], row["root_cause"]["category"]) == ("checkout", "bad_deploy")
    listed = andon("incident", "list", data_dir=data_dir)
    assert listed.exit_code == 0 and "replay" in listed.stdout and "not a live incident" in listed.stdout

    shown = andon("investigate", "--alert", str(ALERT), data_dir=data_dir)
    assert shown.exit_code == 0
    flat = " ".join(shown.stdout.split())
    assert re.search(
        rf"Stored as incident {incident_id} \(replayed telemetry from \S+checkout-bad-deploy"
        r"\.telemetry\.yaml: not a live incident\)",
        flat,
    ), flat[-400:]
    assert f"andon incident resolve {incident_id}" in flat

    resolved = andon(
        "incident",
        "resolve",
        incident_id,
        "--root-cause",
        "v2.14.0 threw on a null price",
        "--fix",
        "rolled back to v2.13.2",
        data_dir=data_dir,
    )
    assert resolved.exit_code == 0, resolved.output
    assert f"resolved {incident_id}: bad deploy on checkout" in " ".join(resolved.stdout.split())

    store = open_store(None, data_dir)
    try:
        timeline = store.timeline(incident_id)
        assert [e["kind"] for e in timeline] == ["replay", "replay", "resolved"]  # investigated twice, then resolved
        assert "replayed telemetry" in timeline[0]["text"]
        assert store.get(incident_id)["status"] == "resolved"  # type: ignore[index]
    finally:
        store.db.close()


def test_investigate_writes_the_evidence_charts(andon: Andon, tmp_path: Path) -> None:
    """``--charts DIR``: the root cause's and the alerting service's strongest series as PNGs; the terminal
    view ends each series' evidence line with its sparkline."""
    from tests.support.png import decode, pixel_spread

    folder = tmp_path / "charts"
    result = andon("investigate", "--alert", str(ALERT), "--charts", str(folder), data_dir=tmp_path / "data")
    assert result.exit_code == 0, result.output
    written = sorted(folder.glob("*.png"))
    assert [p.name.split("-", 2)[2] for p in written] == ["1-checkout-error_ratio.png", "2-gateway-error_ratio.png"]
    assert all(f"Chart: {p}" in result.stdout for p in written)
    assert all(pixel_spread(decode(p.read_bytes())) > 10 for p in written)
    assert re.search(r"0\.3094 \(z=61\.6\)\s+▁+[▁-█]*█", result.stdout), "a sparkline ends the evidence line"
