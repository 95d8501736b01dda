"""A dependency drowns when it fails, slows many times over or sits at its limit; busier is not drowning."""

from __future__ import annotations

from tests.support.telemetry import evidence_of, shift
from tools.rca.capacity import drowning
from tools.rca.params import Params


def _drowning(*series: dict[str, object]) -> bool:
    evidence = evidence_of(list(series))
    return drowning(evidence.services["db"], Params())


def test_a_dependency_slowed_eighty_fold_or_at_its_cpu_limit_drowns() -> None:
    assert _drowning(shift("db", "db_query_p99_seconds", 0.02, 1.6, 200.0, kind="latency"))
    assert _drowning(shift("db", "cpu_usage_ratio", 0.35, 0.97, 16.0, kind="cpu"))
    assert _drowning(shift("db", "error_ratio", 0.0, 0.08, 9.0, kind="errors"))


def test_a_dependency_that_is_only_busier_has_room() -> None:
    busier = [
        shift("db", "request_rate", 3000.0, 22000.0, 30.0, kind="traffic"),
        shift("db", "cpu_usage_ratio", 0.14, 0.52, 17.0, kind="cpu"),
        shift("db", "db_query_p99_seconds", 0.016, 0.023, 5.1, kind="latency"),
    ]
    assert not _drowning(*busier)


def test_the_caller_hardest_hit_by_an_external_dependency_is_the_one_its_label_names() -> None:
    from tools.rca.capacity import hardest_hit_caller

    seen = [
        shift("pricing", "upstream_error_ratio", 0.001, 0.3, 40.0, kind="errors", labels={"upstream": "fx-vendor"}),
        shift("booking", "upstream_error_ratio", 0.001, 0.05, 8.0, kind="errors", labels={"upstream": "fx-vendor"}),
        shift("booking", "latency_p99_seconds", 0.2, 2.0, 60.0, kind="latency"),
    ]
    evidence = evidence_of(seen)
    assert hardest_hit_caller("fx-vendor", evidence) == "pricing", "booking is louder, but not at fx-vendor"
    evidence.topology = {"web": ["booking"], "booking": ["pricing"]}
    assert hardest_hit_caller("pricing", evidence) == "booking", "no label names it: its callers in the graph"
    assert hardest_hit_caller("web", evidence) is None


def test_work_piled_onto_one_pod_of_twelve_is_pinned_there() -> None:
    from tools.rca.capacity import pinned_to_few_pods

    hot = [shift("enricher", "cpu_usage_ratio", 0.3, 1.0, 16.0, kind="cpu", labels={"pod": "enricher-p7"})]
    calm = [
        shift("enricher", "cpu_usage_ratio", 0.3, 0.2, 1.0, kind="cpu", labels={"pod": f"enricher-{i}"})
        for i in range(11)
    ]
    assert pinned_to_few_pods("enricher", evidence_of([*hot, *calm]), Params())
    spread = [
        shift("enricher", "cpu_usage_ratio", 0.3, 0.95, 12.0, kind="cpu", labels={"pod": f"enricher-{i}"})
        for i in range(11)
    ]
    assert not pinned_to_few_pods("enricher", evidence_of([*hot, *spread]), Params()), "every pod is busy: scale out"
    assert not pinned_to_few_pods("enricher", evidence_of([*hot, *calm[:2]]), Params()), "three pods say too little"
