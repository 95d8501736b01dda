"""The CLI: every bundled example alert investigates to the right service and cause, as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "checkout-bad-deploy": ("checkout", "bad_deploy", "rollback_deploy"),
    "orders-pool-exhaustion": ("orders", "connection_pool_exhaustion", None),
    "payments-memory-leak": ("payments", "memory_leak", "restart_service"),
    "search-bad-flag": ("search", "bad_config", "toggle_flag"),
    "worker-queue-backlog": ("worker", "queue_backlog", "scale_service"),
}


def andon(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], capture_output=True, text=True, cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin", "ANDON_DATA_DIR": str(data_dir), "HOME": str(data_dir)},
                          timeout=300)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_investigate_example_names_service_and_cause(name: str, data_dir: Path) -> None:
    result = andon("investigate", "--alert", f"examples/alerts/{name}.json", "--json", data_dir=data_dir)
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


def test_tools_list_json(data_dir: Path) -> None:
    result = andon("tools", "list", "--json", data_dir=data_dir)
    tools = json.loads(result.stdout)
    assert len(tools) >= 15 and all({"name", "risk", "schema"} <= set(t) for t in tools)


def test_usage_errors_are_clear(data_dir: Path) -> None:
    both = andon("investigate", data_dir=data_dir)
    assert both.returncode == 2 and "exactly one of --alert" in both.stderr
    missing = andon("investigate", "--text", "checkout is slow", data_dir=data_dir)
    assert missing.returncode == 2 and "no telemetry" in missing.stderr


def test_help_imports_nothing_heavy() -> None:
    """``andon --help`` builds every command group; none of them may pull in the graph, Chroma, the settings,
    the tools or the chart renderer at import time (each command imports what it needs when it runs)."""
    code = ("import sys\nfrom bot.cli.main import _register_optional\n_register_optional()\n"
            "heavy = ('chromadb', 'langgraph', 'langchain_core', 'numpy', 'pydantic_settings', 'onnxruntime', 'bm25s',"
            " 'tools', 'bot.settings', 'bot.runtime', 'knowledge.embeddings', 'matplotlib', 'PIL',"
            " 'bot.charts.evidence', 'bot.charts.render')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_blind_investigation_is_inconclusive_never_healthy(data_dir: Path) -> None:
    """Prometheus configured but unreachable: every metric read fails, so Andon says what it could not read
    and exits 3; it never calls the incident a false alarm."""
    from tests.support.net import free_port

    result = subprocess.run([sys.executable, "-m", "bot.cli.main", "investigate", "--text", "checkout is slow",
                             "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                            env={"PATH": "/usr/bin:/bin", "ANDON_DATA_DIR": str(data_dir), "HOME": str(data_dir),
                                 "ANDON_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}"})
    assert result.returncode == 3, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["verdict"] == "inconclusive"
    assert report["root_cause"]["category"] != "no_fault" and not report["proposals"]
    assert any("could not read" in note and "metrics" in note for note in report["notes"]), report["notes"]
    assert "Prometheus at http://127.0.0.1:" in report["summary"], "the summary names the backend it could not read"


def test_version(data_dir: Path) -> None:
    result = andon("--version", data_dir=data_dir)
    assert result.returncode == 0 and result.stdout.startswith("andon ")
