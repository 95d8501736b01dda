"""The incident store on SQLite and PostgreSQL: decisions count once per person and incident, an approved
action is claimed exactly once (threads and processes racing), crashes are reported as interrupted,
and the audit log keeps who did what, when, with which parameters."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.store import IncidentStore, open_store

ROOT = Path(__file__).resolve().parents[3]
INCIDENT = {"id": "inc-store-1", "title": "checkout 5xx", "services": ["checkout"], "severity": "critical"}


def test_incident_rows_round_trip(store: IncidentStore) -> None:
    store.upsert_incident(INCIDENT, channel="C1", thread_ts="1.2")
    store.upsert_incident(INCIDENT)  # a second delivery keeps the thread
    row = store.get("inc-store-1")
    assert row is not None and row["services"] == ["checkout"] and row["channel"] == "C1" and row["thread_ts"] == "1.2"
    store.save_report("inc-store-1", {"root_cause": {"service": "checkout"}})
    store.set_status("inc-store-1", "resolved", root_cause="bad deploy", fix="rollback")
    row = store.get("inc-store-1")
    assert row is not None and row["status"] == "resolved" and row["report"] == {"root_cause": {"service": "checkout"}}
    assert [r["id"] for r in store.list("resolved")] == ["inc-store-1"] and store.list("open") == []


def test_incidents_are_listed_newest_first_by_status_and_channel(store: IncidentStore) -> None:
    for n, channel in enumerate(["C1", "C2", "C1"]):
        store.upsert_incident({**INCIDENT, "id": f"inc-list-{n}"}, channel=channel, thread_ts=f"{n}.0")
        time.sleep(0.01)
    store.set_status("inc-list-2", "resolved")
    assert [i["id"] for i in store.list(channel="C1")] == ["inc-list-2", "inc-list-0"]
    assert [i["id"] for i in store.list("open", channel="C1")] == ["inc-list-0"]
    assert [i["id"] for i in store.list("open", limit=1)] == ["inc-list-1"]
    assert store.list("open", channel="C9") == []


def test_terminal_incidents_are_marked_and_alerts_never_join_them(store: IncidentStore) -> None:
    """``andon investigate`` keeps its incidents with their origin; an alert of the same group opens its own
    Slack thread instead of being attached to a replayed or terminal investigation."""
    store.upsert_incident({**INCIDENT, "id": "inc-replayed", "group_key": "g1"}, origin="replay")
    row = store.get("inc-replayed")
    assert row is not None and row["origin"] == "replay" and store.find_open_by_group("g1") is None
    store.upsert_incident({**INCIDENT, "id": "inc-live", "group_key": "g1"}, channel="C1")
    live = store.find_open_by_group("g1")
    assert live is not None and live["id"] == "inc-live" and live["origin"] is None
    assert {r["id"]: r["origin"] for r in store.list()} == {"inc-replayed": "replay", "inc-live": None}
    with pytest.raises(ValueError, match="unknown incident origin"):
        store.upsert_incident({**INCIDENT, "id": "inc-x"}, origin="carrier-pigeon")


def test_a_decision_counts_once_per_person_and_incident(store: IncidentStore) -> None:
    assert store.record_decision("inc-a", "p-1", "h1", "approve", "U1")
    assert not store.record_decision("inc-a", "p-1", "h1", "approve", "U1"), "a double click counts once"
    assert store.record_decision("inc-a", "p-1", "h1", "approve", "U2")
    # the same action proposed again in a later incident has the same proposal id: U1 must be able to decide it
    assert store.record_decision("inc-b", "p-1", "h1", "approve", "U1")
    assert [d["by"] for d in store.decisions("inc-a")] == ["U1", "U2"]
    assert [d["by"] for d in store.decisions("inc-b")] == ["U1"]


def test_an_execution_is_claimed_once_and_finished(store: IncidentStore) -> None:
    args = {"service": "checkout", "to_version": "v2.13.2"}
    assert store.claim_execution("inc-x", "h1", "rollback_deploy", args, "approved by U1")
    assert not store.claim_execution("inc-x", "h1", "rollback_deploy", args, "approved by U2")
    assert store.claim_execution("inc-y", "h1", "rollback_deploy", args, "approved by U1"), "per incident"
    store.finish_execution("inc-x", "h1", "executed", "rolled back checkout")
    [row] = store.executions("inc-x")
    assert row["status"] == "executed" and row["args"] == args and row["result"] == "rolled back checkout"
    assert store.count_executions(incident_id="inc-x") == 1 and store.count_executions() == 2
    events = [(e["event"], e["tool"]) for e in store.audit_log("inc-x")]
    assert events == [("executing", "rollback_deploy"), ("executed", "rollback_deploy")]


def test_racing_threads_claim_an_execution_exactly_once(store: IncidentStore) -> None:
    winners: list[int] = []
    barrier = threading.Barrier(8)

    def claim(index: int) -> None:
        barrier.wait()
        if store.claim_execution("inc-race", "h-race", "restart_service", {"service": "checkout"}, f"thread {index}"):
            winners.append(index)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert len(store.executions("inc-race")) == 1


CLAIMER = """
import sys, time
from pathlib import Path
from bot.store import open_store
store = open_store(sys.argv[1] or None, Path(sys.argv[2]))
start = float(sys.argv[3])
while time.time() < start:
    time.sleep(0.001)
won = store.claim_execution("inc-proc", "h-proc", "drain_queue", {"service": "checkout"}, sys.argv[4])
print("won" if won else "lost")
"""


def test_racing_processes_claim_an_execution_exactly_once(
    store: IncidentStore, database_url: str | None, tmp_path: Path
) -> None:
    start = time.time() + 1.5  # the interpreters are up by then; they claim at the same instant
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, database_url or "", str(tmp_path / "data"), str(start), f"process {i}"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        results.append(out.strip())
    assert sorted(results) == ["lost", "lost", "won"]
    assert len(store.executions("inc-proc")) == 1


def test_a_crash_mid_action_is_reported_interrupted_and_never_counted(store: IncidentStore) -> None:
    assert store.claim_execution("inc-crash", "h1", "rollback_deploy", {"service": "checkout"}, "approved by U1")
    # the process dies here; on restart:
    interrupted = store.mark_interrupted()
    assert interrupted == [{"incident_id": "inc-crash", "hash": "h1", "tool": "rollback_deploy"}]
    assert store.executions("inc-crash")[0]["status"] == "interrupted"
    assert store.mark_interrupted() == [], "reported once"
    assert store.count_executions() == 0
    assert not store.claim_execution("inc-crash", "h1", "rollback_deploy", {"service": "checkout"}, "again"), (
        "an interrupted action is never silently re-run"
    )
    assert store.audit_log("inc-crash")[-1]["event"] == "interrupted"


def test_a_restarting_replica_leaves_another_replicas_running_action_alone(store: IncidentStore) -> None:
    assert store.claim_execution("inc-live", "h1", "restart_service", {"service": "checkout"}, "approved by U1")
    assert store.mark_interrupted(older_than=60) == [], "still within its actuator timeout: someone is running it"
    assert store.executions("inc-live")[0]["status"] == "running"
    time.sleep(0.05)
    assert [r["hash"] for r in store.mark_interrupted(older_than=0.01)] == ["h1"]


def test_the_audit_log_keeps_who_when_what_and_parameters(store: IncidentStore) -> None:
    store.audit("inc-audit", "proposed", "rollback_deploy", {"service": "checkout"}, "write", "andon")
    store.record_decision("inc-audit", "p-1", "h1", "approve", "UAPPROVER1")
    store.audit("inc-other", "proposed", "restart_service", {"service": "cart"}, "write", "andon")
    log = store.audit_log("inc-audit")
    assert [(e["event"], e["by"]) for e in log] == [("proposed", "andon"), ("approve", "UAPPROVER1")]
    assert log[0]["args"] == {"service": "checkout"} and log[0]["at"] <= log[1]["at"]
    assert len(store.audit_log()) == 3


def test_dedupe_keys_are_first_time_once_across_connections(
    store: IncidentStore, database_url: str | None, tmp_path: Path
) -> None:
    other = open_store(database_url, tmp_path / "data")
    try:
        assert store.first_time("event:Ev1", "inc-1")
        assert not other.first_time("event:Ev1", "inc-1")
    finally:
        other.db.close()


def test_keys_guarding_a_time_window_are_forgotten_once_it_has_passed(store: IncidentStore) -> None:
    assert store.first_time("slack:request:v0=old") and store.first_time("slack:request:v0=new")
    assert store.first_time("alert:open:inc-1")
    time.sleep(0.05)
    cutoff = time.time()
    assert store.first_time("slack:request:v0=newest")
    assert store.forget_keys("slack:request:", cutoff) == 2
    assert store.first_time("slack:request:v0=old"), "forgotten: the window it guarded is over"
    assert not store.first_time("slack:request:v0=newest"), "still inside its window"
    assert not store.first_time("alert:open:inc-1"), "other keys are kept"


def test_a_claim_is_held_while_renewed_and_taken_over_once_its_holder_stops(store: IncidentStore) -> None:
    import time as clock

    assert store.claim("resume:inc-1:abc", lease_s=0.3, incident_id="inc-1")
    assert not store.claim("resume:inc-1:abc", lease_s=0.3), "held: nobody else gets it"
    clock.sleep(0.2)
    store.renew("resume:inc-1:abc")
    clock.sleep(0.2)
    assert not store.claim("resume:inc-1:abc", lease_s=0.3), "renewed 0.2 s ago: still held"
    clock.sleep(0.4)
    assert store.claim("resume:inc-1:abc", lease_s=0.3), "not renewed for a whole lease: its holder died"
    assert not store.claim("resume:inc-1:abc", lease_s=0.3)


def test_jobs_are_open_until_done_and_forgotten_a_while_after(store: IncidentStore) -> None:
    import time as clock

    store.add_job("declare:1", "declare", {"text": "declare x", "args": ["x"]})
    store.add_job("resolve:2", "resolve", {"text": "resolve", "args": []})
    store.start_job("resolve:2")
    assert [(j["id"], j["started"]) for j in store.open_jobs(since=0)] == [("declare:1", False), ("resolve:2", True)]
    assert store.open_jobs(since=clock.time() + 1) == [], "accepted too long ago"
    store.finish_job("declare:1")
    assert [j["id"] for j in store.open_jobs(since=0)] == ["resolve:2"]
    store.add_job("message:3", "message", {"text": "hi"})
    assert [j["id"] for j in store.open_jobs(since=0, unstarted=True, limit=1, kinds=["message"])] == ["message:3"], (
        "older jobs of other kinds do not crowd out a queue's own"
    )
    assert store.open_jobs(since=0, kinds=[]) == []
    store.finish_job("message:3")
    assert store.forget_jobs(before=clock.time() - 60) == 0, "finished just now: kept"
    assert store.forget_jobs(before=clock.time() + 1) == 2
