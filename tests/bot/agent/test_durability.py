"""Durable approvals, on SQLite and on PostgreSQL: a paused investigation resumes in another process; a
process SIGKILLed while an approval is pending loses nothing; one killed in the middle of an action is
reported as interrupted on restart and the action never runs again; double resumes execute once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.runtime import Investigator
from bot.settings import load_settings
from bot.store import open_store
from tests.support.example_run import alert, approver_policy, investigator, non_dry_executions

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


class Andon:
    """Investigators (each with its own store and checkpointer connections) on one data dir / database."""

    def __init__(self, data_dir: Path, database_url: str | None) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.opened: list[Investigator] = []

    def investigator(self) -> Investigator:
        settings = load_settings(data_dir=self.data_dir, database_url=self.database_url)
        inv = investigator(
            settings,
            self.data_dir,
            store=open_store(self.database_url, self.data_dir),
            policy=approver_policy(),
            approval_mode="interactive",
        )
        self.opened.append(inv)
        return inv

    def options(self, **extra: Any) -> dict[str, Any]:
        return {"data_dir": str(self.data_dir), "database_url": self.database_url, **extra}

    def close(self) -> None:
        for inv in self.opened:
            assert inv.context.store is not None
            inv.context.store.db.close()
            inv.checkpointer.conn.close()


@pytest.fixture
def andon(tmp_path: Path, database_url: str | None) -> Iterator[Andon]:
    running = Andon(tmp_path / "data", database_url)
    yield running
    running.close()


def _env(tmp_path: Path) -> dict[str, str]:
    """A clean environment for the worker: nothing from the developer's ANDON_*/SLACK_*/OPENAI_*."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("ANDON_", "SLACK_", "OPENAI_"))}
    return {**keep, "ANDON_CONFIG_FILE": str(tmp_path / "absent.yaml"), "PYTHONPATH": str(ROOT)}


def _worker(tmp_path: Path, command: str, options: dict[str, Any]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.bot.agent.worker", command, json.dumps(options)],
        cwd=ROOT,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_worker(tmp_path: Path, command: str, options: dict[str, Any]) -> dict[str, Any]:
    proc = _worker(tmp_path, command, options)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    return dict(json.loads(out.strip().splitlines()[-1]))


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _approve(proposal: dict[str, Any], *users: str) -> list[dict[str, Any]]:
    return [
        {"proposal_id": proposal["id"], "hash": proposal["hash"], "decision": "approve", "by": user, "at": time.time()}
        for user in users
    ]


def _executions(andon: Andon, incident_id: str) -> list[dict[str, Any]]:
    store = open_store(andon.database_url, andon.data_dir)
    try:
        return store.executions(incident_id)
    finally:
        store.db.close()


def test_paused_in_one_process_resumed_in_another(andon: Andon, tmp_path: Path) -> None:
    here = andon.investigator()
    outcome = here.start(alert())
    assert outcome.waiting
    [proposal] = outcome.state["proposals"]
    assert proposal["tool"] == "rollback_deploy"

    result = _run_worker(
        tmp_path, "resume", andon.options(incident_id=outcome.incident_id, decisions=_approve(proposal, "UAPPROVER1"))
    )
    assert not result["waiting"]
    assert [a["status"] for a in result["actions"]] == ["executed"]
    assert [(e["action"], e["service"]) for e in result["executed"] if not e["dry_run"]] == [
        ("rollback_deploy", "checkout")
    ]
    [execution] = _executions(andon, outcome.incident_id)
    assert execution["status"] == "executed" and execution["args"] == proposal["args"]

    # the other process's result is this process's state too; resuming again does nothing
    assert here.graph.get_state(here._config(outcome.incident_id)).values["actions"][0]["status"] == "executed"
    with pytest.raises(LookupError):
        here.resume(outcome.incident_id, _approve(proposal, "UAPPROVER1"))
    assert non_dry_executions(here) == [] and len(_executions(andon, outcome.incident_id)) == 1


def test_sigkill_while_an_approval_is_pending_then_restart_and_approve(andon: Andon, tmp_path: Path) -> None:
    proc = _worker(tmp_path, "start", andon.options(hold=True))
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, proc.stderr.read() if proc.stderr else "no output"
    started = json.loads(line)
    assert started["waiting"]
    _kill(proc)

    restarted = andon.investigator()
    pending = restarted.pending(started["incident_id"])
    assert [p["hash"] for p in pending] == [p["hash"] for p in started["proposals"]]
    outcome = restarted.resume(started["incident_id"], _approve(pending[0], "UAPPROVER2"))
    assert [a["status"] for a in outcome.state["actions"]] == ["executed"]
    assert [e["action"] for e in non_dry_executions(restarted)] == ["rollback_deploy"]
    with pytest.raises(LookupError):
        andon.investigator().resume(started["incident_id"], _approve(pending[0], "UAPPROVER2"))
    assert len(_executions(andon, started["incident_id"])) == 1


def test_sigkill_during_an_action_is_reported_interrupted_and_never_rerun(andon: Andon, tmp_path: Path) -> None:
    here = andon.investigator()
    outcome = here.start(alert())
    [proposal] = outcome.state["proposals"]
    decisions = _approve(proposal, "UAPPROVER1")
    marker = tmp_path / "actuator-started"
    proc = _worker(
        tmp_path, "resume", andon.options(incident_id=outcome.incident_id, decisions=decisions, slow_marker=str(marker))
    )
    deadline = time.time() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "worker exited"
        assert time.time() < deadline, "the action never started"
        time.sleep(0.05)
    _kill(proc)  # in the middle of rollback_deploy

    store = open_store(andon.database_url, andon.data_dir)
    assert [e["status"] for e in store.executions(outcome.incident_id)] == ["running"]
    assert store.mark_interrupted() == [
        {"incident_id": outcome.incident_id, "hash": proposal["hash"], "tool": "rollback_deploy"}
    ]
    assert store.audit_log(outcome.incident_id)[-1]["event"] == "interrupted"

    restarted = andon.investigator()
    final = restarted.resume(outcome.incident_id, decisions)  # the graph stopped inside act; it finishes now
    [action] = final.state["actions"]
    assert action["status"] == "interrupted" and "not re-run" in action["decision"]
    assert restarted.context.sources.actuator.executed == []  # type: ignore[union-attr]
    assert marker.read_text().splitlines() == ["rollback_deploy checkout"], "the action started exactly once"
    assert [e["status"] for e in store.executions(outcome.incident_id)] == ["interrupted"]
    store.db.close()


def test_concurrent_double_resume_executes_once(andon: Andon) -> None:
    first = andon.investigator()
    outcome = first.start(alert())
    [proposal] = outcome.state["proposals"]
    second = andon.investigator()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def resume(inv: Investigator, user: str) -> None:
        barrier.wait()
        try:
            inv.resume(outcome.incident_id, _approve(proposal, user))
        except LookupError:
            pass  # the other one finished first
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [
        threading.Thread(target=resume, args=(first, "UAPPROVER1")),
        threading.Thread(target=resume, args=(second, "UAPPROVER2")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(non_dry_executions(first)) + len(non_dry_executions(second)) == 1
    assert [e["status"] for e in _executions(andon, outcome.incident_id)] == ["executed"]


def test_reinvestigating_an_incident_does_not_run_its_action_twice(andon: Andon) -> None:
    inv = andon.investigator()
    outcome = inv.start(alert())
    [proposal] = outcome.state["proposals"]
    inv.resume(outcome.incident_id, _approve(proposal, "UAPPROVER1"))
    again = inv.start(alert())  # the same alert investigated afresh proposes the same action
    assert again.incident_id == outcome.incident_id and again.waiting
    final = inv.resume(again.incident_id, _approve(again.state["proposals"][0], "UAPPROVER1"))
    assert (
        final.state["actions"][0]["status"] == "skipped" and "already ran once" in final.state["actions"][0]["decision"]
    )
    assert len(non_dry_executions(inv)) == 1
