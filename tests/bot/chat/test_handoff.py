"""Handing work to the worker process: a routed call, a chat message and a slash command's slow part are
written as jobs instead of run, a poller claims and runs each job once, takes no more than it has threads, and
leaves calls older than its serving process; a message nobody ran is taken in after a restart."""

from __future__ import annotations

import threading
import time
from typing import Any

from bot.chat.handoff import JobPoller, call_jobs, send_to_worker
from bot.chat.ids import BlockId
from bot.chat.jobs import Jobs
from tests.support.served_slack import CHANNEL, Andon


def _answers(andon: Andon) -> list[Any]:
    return [c for c in andon.fake.calls_to("chat.postMessage") if "why the 5xx" in str(c.args)]


def test_a_handed_off_call_is_written_as_a_job_and_run_once_by_the_worker_side(andon: Andon) -> None:
    desk = andon.running.desk
    woken: list[bool] = []
    since = time.time()
    send_to_worker(desk, lambda: woken.append(True))
    desk.deps.submit(desk.conversations.answer, "inc-none", "why the 5xx?", CHANNEL, "1700000000.000100", "U1")
    assert woken == [True]
    [job] = andon.store.open_jobs(since=0)
    assert (job["kind"], job["started"], job["payload"]["args"][1]) == ("call:answer", False, "why the 5xx?")
    time.sleep(0.5)
    assert _answers(andon) == [], "not run by the process that wrote it"

    pollers = [JobPoller([(call_jobs(desk), since)], slots=2) for _ in range(2)]  # two worker processes
    threads = [threading.Thread(target=p.poll) for p in pollers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    andon.fake.wait_for(lambda: andon.store.open_jobs(since=0) == [], what="the job done")
    time.sleep(0.3)
    assert len(_answers(andon)) == 1, "answered once"
    for poller in pollers:
        poller.stop()


def test_slash_command_jobs_are_only_written_once_they_run_elsewhere(andon: Andon) -> None:
    send_to_worker(andon.running.desk, lambda: None)
    assert andon.command("declare payments db failover").status_code == 200
    time.sleep(0.5)
    [job] = andon.store.open_jobs(since=0)
    assert (job["kind"], job["started"]) == ("declare", False)
    assert not andon.fake.calls_to("conversations.create")


def test_the_worker_side_leaves_calls_written_before_its_serving_process_started(andon: Andon) -> None:
    desk = andon.running.desk
    andon.store.add_job("call:answer:old", "call:answer", {"args": ["inc-none", "why the 5xx?", CHANNEL, "1.0", "U1"]})
    poller = JobPoller([(call_jobs(desk), time.time() + 1)], slots=2)
    assert poller.poll() == 0, "the restart's own recovery resumes what it owns"
    poller.stop()


def test_a_job_started_once_is_never_started_again(andon: Andon) -> None:
    ran: list[str] = []
    jobs = Jobs(andon.running.desk.deps)
    jobs.register("probe", lambda payload, context: ran.append(payload["n"]))
    andon.store.add_job("probe:1", "probe", {"n": "1"})
    job = jobs.unstarted()[0]
    andon.store.start_job("probe:1")  # a holder started it, then its claim lapsed
    assert jobs.run(job) is False and ran == []


def test_the_poller_takes_no_more_jobs_than_it_has_threads(andon: Andon) -> None:
    release = threading.Event()
    ran: list[str] = []
    jobs = Jobs(andon.running.desk.deps)
    jobs.register("probe", lambda payload, context: (ran.append(payload["n"]), release.wait(10)))
    for n in range(3):
        andon.store.add_job(f"probe:{n}", "probe", {"n": str(n)})
    poller = JobPoller([(jobs, None)], slots=1)
    try:
        assert poller.poll() == 1
        andon.fake.wait_for(lambda: ran, what="the first job")
        assert poller.poll() == 0, "no thread free: the others stay unclaimed for any worker"
        assert len(jobs.unstarted()) == 2
    finally:
        release.set()
        poller.stop()


def _kinds(andon: Andon) -> list[str]:
    return sorted(job["kind"] for job in andon.store.open_jobs(since=0))


def test_a_mention_is_a_job_in_the_store_when_slack_is_answered_and_the_worker_side_takes_it_in(andon: Andon) -> None:
    desk = andon.running.desk
    since = time.time()
    send_to_worker(desk, lambda: None)
    assert andon.mention("checkout 5xx since 10:02", ts="1700000100.000100", event_id="EvHand1").status_code == 200
    assert _kinds(andon) == ["message"], "written before the answer"
    time.sleep(0.5)
    assert not andon.fake.posts_with(BlockId.PROGRESS), "nothing of it ran in the serving process"

    poller = JobPoller([(desk.messages, None)], slots=2)
    try:
        assert poller.poll() == 1
        andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.PROGRESS), what="the incident acknowledged")
        andon.fake.wait_for(lambda: _kinds(andon) == ["call:investigate"], what="its investigation as a job")
        assert poller.poll() == 0, "taken in once"
    finally:
        poller.stop()
    assert len(andon.fake.posts_with(BlockId.PROGRESS)) == 1
    assert call_jobs(desk).unstarted(since)[0]["payload"]["args"][0]["title"]


def test_a_message_written_but_never_taken_in_is_taken_in_by_the_recovery_after_a_restart(andon: Andon) -> None:
    desk = andon.running.desk
    send_to_worker(desk, lambda: None)
    assert andon.mention("payments latency", ts="1700000200.000100", event_id="EvHand2").status_code == 200
    assert _kinds(andon) == ["message"]  # the process that wrote it dies here: nobody woke a worker
    desk.finish_unfinished()  # the next process's sweep
    andon.fake.wait_for(lambda: andon.fake.posts_with(BlockId.PROGRESS), what="the incident acknowledged")
    desk.finish_unfinished()
    time.sleep(0.3)
    assert len(andon.fake.posts_with(BlockId.PROGRESS)) == 1, "taken in once"


def test_runbook_and_ask_run_as_jobs_outside_the_serving_process_and_answer_through_response_url(andon: Andon) -> None:
    desk = andon.running.desk
    assert (
        andon.mention(
            "checkout 5xx since 10:02", ts="1700000300.000100", event_id="EvHand3", channel=CHANNEL
        ).status_code
        == 200
    )
    andon.fake.wait_for(lambda: andon.store.list("open"), what="the incident")
    send_to_worker(desk, lambda: None)
    assert andon.command("runbook kafka consumer lag").status_code == 200
    assert andon.command("ask why not the database?").status_code == 200
    assert [k for k in _kinds(andon) if not k.startswith("call:")] == ["ask", "runbook"], "written before the answer"
    time.sleep(0.5)
    assert not andon.fake.calls_to("response_url"), "nothing of them ran in the serving process"

    poller = JobPoller([(desk.commands.jobs, None)], slots=2)
    try:
        assert poller.poll() == 2
        andon.fake.wait_for(lambda: len(andon.fake.calls_to("response_url")) == 2, what="both answers")
    finally:
        poller.stop()
    answered = {c.args.get("name"): str(c.args) for c in andon.fake.calls_to("response_url")}
    assert "kafka" in answered["runbook"].lower() and "why not the database?" in answered["ask"]
