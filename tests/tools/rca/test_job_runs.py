"""Job runs Kubernetes records: which events start a job, and the runs a change feed does not list."""

from __future__ import annotations

from tools.rca.job_runs import job_runs, job_started
from tools.rca.records import ChangeLink, KubeEvent


def test_a_cronjob_that_fired_is_a_job_run_the_feed_may_not_list() -> None:
    fired = KubeEvent(
        service="catalog-reindex", reason="SuccessfulCreate", message="Created job catalog-reindex-29602925", ts=1000.0
    )
    scaled = KubeEvent(
        service="web", reason="ScalingReplicaSet", message="Scaled up replica set web-7c8d to 3", ts=1000.0
    )
    runs = job_runs([fired, scaled], [], onset=1600.0)
    assert [(r.service, r.family, r.minutes_before_onset) for r in runs] == [("catalog-reindex", "job", 10.0)]
    listed = ChangeLink(service="catalog-reindex", kind="job", family="job", ts=1010.0)
    assert job_runs([fired], [listed], onset=1600.0) == [], "the feed already has that run"


def test_one_predicate_says_which_events_start_a_job() -> None:
    def event(message: str, reason: str = "SuccessfulCreate", obj: str = "") -> KubeEvent:
        return KubeEvent(service="s", reason=reason, message=message, object=obj)

    assert job_started(event("Created job reindex-29602925")) == "reindex-29602925"
    assert job_started(event("CronJob db-backup: Created job db-backup-29873880")) == "db-backup-29873880"
    assert job_started(event("Created pod: import-29281470-7hc2q", obj="job/import-29281470")) == "import-29281470"
    assert job_started(event("Job backup-manual-1410: Created pod: backup-manual-1410-kx7dq")) == "backup-manual-1410"
    assert job_started(event("Created pod: cart-api-6d7f8b9c5-p8m4d", obj="replicaset/cart-api-6d7f8b9c5")) is None
    assert job_started(event("Created pod: cart-api-6d7f8b9c5-p8m4d")) is None, "a Deployment's pod is no job"
    assert job_started(event("Job x: Created pod: x-1", reason="FailedCreate")) is None
