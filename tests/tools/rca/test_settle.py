"""Settling the findings: a victim is capped just below the fault it follows from."""

from __future__ import annotations

from tests.support.telemetry import evidence_of, shift
from tools.rca.records import Finding
from tools.rca.settle import explain_victims
from tools.rca.suspects import Suspect


def _after_settling(cache_category: str) -> list[tuple[str, str]]:
    """A cache pod evicted and back empty (its hit ratio 0.96 → 0.05); catalog-api's calls to it failed
    meanwhile, and it reads as a dependency outage, louder than the cache's own finding."""
    view = evidence_of(
        [
            shift("product-cache", "cache_hit_ratio", 0.96, 0.05, 180.0, kind="availability", direction="down"),
            shift(
                "catalog-api",
                "upstream_error_ratio",
                0.0,
                1.0,
                24.0,
                kind="errors",
                labels={"upstream": "product-cache"},
            ),
        ]
    )
    view.services["catalog-api"].propagated_from = ["product-cache"]
    findings = [
        Finding("catalog-api", "dependency_outage", 0.61, "", runbook_id="rb-dependency-outage"),
        Finding("product-cache", cache_category, 0.58, "", runbook_id="rb-cache"),
    ]
    suspects = {"catalog-api": Suspect("catalog-api", 1.0, victim=True), "product-cache": Suspect("product-cache", 1.0)}
    explain_victims(findings, suspects, view)
    findings.sort(key=lambda f: f.confidence, reverse=True)
    return [(f.service, f.category) for f in findings]


def test_a_failed_cache_explains_its_callers_outage_of_it() -> None:
    """cache_failure causes dependency_outage (categories.yaml): the callers of a failed cache see their
    dependency fail, so the caller's outage is the cache's story."""
    assert _after_settling("cache_failure")[0] == ("product-cache", "cache_failure")
    assert _after_settling("gc_pauses")[0] == ("catalog-api", "dependency_outage"), "a cause that does not produce it"
