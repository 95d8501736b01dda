"""Settling the findings once each is scored: a workload that stopped or slowed is named by the pile it left,
a victim never outranks the cause it propagates from, and a close call says so and what would tell the two
apart."""

from __future__ import annotations

from typing import Any

from knowledge.documents import Runbook
from knowledge.taxonomy import consequence_hops
from tools.rca.changes import stops
from tools.rca.evidence import Evidence
from tools.rca.explain import Fit
from tools.rca.params import Params
from tools.rca.records import Clue, Finding

__all__ = ["blame_stopped", "explain_victims", "mark_close_call"]


def blame_stopped(findings: list[Finding], piled: dict[str, str], evidence: Evidence, runbooks: list[Runbook]) -> None:
    """A stopped workload has no telemetry of its own (it is not running), and a slowed one shows only less
    work: what it stopped draining, or drains less of, piles up elsewhere (``changes.link_stops``), and that
    pile is its evidence. A stop is configuration (it runs as told), so is a slowing change unless it was a
    release: it is named as a bad config (or deploy) as sure as the pile's own best finding, and the pile's
    service ranks just below it."""
    for victim, stopped in piled.items():
        pile = max((f for f in findings if f.service == victim), key=lambda f: f.confidence, default=None)
        change = next((c for c in evidence.changes if c.service == stopped and c.linked), None)
        if (
            pile is None
            or change is None
            or any(f.service == stopped and f.confidence >= pile.confidence for f in findings)
        ):
            continue
        category = "bad_deploy" if change.kind == "deploy" and not stops(change) else "bad_config"
        runbook = next((rb for rb in runbooks if rb.category == category and "*" in rb.services), None)
        how = "was stopped" if stops(change) else "drains less"
        clue = Clue(call_id=evidence.change_call or "", tool="correlate_changes", summary=change.describe())
        findings.append(
            Finding(
                service=stopped,
                category=category,
                confidence=pile.confidence,
                summary=f"{stopped} {how} ({change.what()}): {change.linked}",
                clues=[clue, *pile.clues],
                runbook_id=runbook.id if runbook else None,
                strength=pile.strength + 0.001,
            )
        )
        for finding in findings:
            if finding.service == victim:
                finding.confidence = round(max(min(finding.confidence, pile.confidence - 0.001), 0.0), 3)
                finding.explained_by = stopped


def explain_victims(findings: list[Finding], suspects: dict[str, Any], evidence: Evidence) -> None:
    """A victim never outranks the fault it propagates from when that fault produces the victim's leading
    symptom (``causes`` in categories.yaml): a backup job that saturated the node's disk explains the pool
    that ran dry behind the slow database, so the pool's service drops just below the job."""
    hops = consequence_hops()
    best: dict[str, Finding] = {}
    for finding in findings:
        if finding.service not in best or finding.confidence > best[finding.service].confidence:
            best[finding.service] = finding

    def explained_by(service: str) -> list[str]:
        record = evidence.services.get(service)
        return record.propagated_from + record.load_from if record else []

    caps: dict[str, tuple[float, str]] = {}
    for service, leading in best.items():
        suspect = suspects.get(service)
        if suspect is None or not suspect.victim:
            continue
        causes = [
            best[c]
            for c in explained_by(service)
            if c in best
            and c != service
            and service not in explained_by(c)  # two services explaining each other settle nothing
            and (leading.category in hops.get(best[c].category, {}) or leading.category == best[c].category)
            and best[c].runbook_id
        ]  # the same fault seen from the client's side is the culprit's
        if causes:
            cause = max(causes, key=lambda f: f.confidence)
            caps[service] = (cause.confidence - 0.001, cause.service)
    for finding in findings:
        cap, cause_service = caps.get(finding.service, (None, ""))
        if cap is not None:  # the victim's story is its cause's: none of its findings is a rival to it
            finding.confidence = round(max(min(finding.confidence, cap), 0.0), 3)
            finding.explained_by = cause_service


def mark_close_call(findings: list[Finding], fits: dict[tuple[str, str], Fit], params: Params) -> None:
    """When the runner-up is within ``close_call`` of the leader, say so, and name the check that would
    tell them apart (the runner-up's heaviest check the evidence could not confirm)."""
    if len(findings) < 2 or findings[0].category == "no_fault":
        return
    best, rival = findings[0], findings[1]
    if best.confidence - rival.confidence >= params.close_call:
        return
    fit = fits.get((rival.service, rival.category))
    open_checks = sorted((o for o in (fit.outcomes if fit else []) if not o.confirmed), key=lambda o: -o.check.weight)
    hint = f"; check '{open_checks[0].check.name}' on {rival.service} to tell them apart" if open_checks else ""
    best.summary += (
        f" — a close call: {best.service} / {best.category} {best.confidence:.2f} vs "
        f"{rival.service} / {rival.category} {rival.confidence:.2f}{hint}"
    )
