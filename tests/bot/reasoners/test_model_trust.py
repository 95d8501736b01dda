"""The model's ranking counts as much as its profile says: the weight ``w`` in ``(1 − w)·rules + w·model``
(the conservative default for a model nobody calibrated), stated in the report and on the card; its claims
outside the rules engine's list count only when grounded; unsupported ones are dropped and counted; and
a ranking the model changed proposes nothing until a person confirms it."""

from __future__ import annotations

from typing import Any

import pytest

from bot.chat.blocks.incident import rca_card
from bot.reasoners.llm.trust import UNCALIBRATED_WEIGHT, profile_path, save_weight
from bot.settings import Settings
from knowledge.documents import Runbook, load_documents
from knowledge.taxonomy import bundled_dir
from tests.bot.reasoners.conftest import Run
from tests.support.fake_openai import FakeOpenAI, completion, json_answer


def _claim(service: str, category: str, *evidence: str, confidence: float = 0.9) -> dict[str, Any]:
    return {
        "service": service,
        "category": category,
        "confidence": confidence,
        "summary": f"{category} on {service}",
        "evidence": list(evidence),
    }


def _footer(report: dict[str, Any]) -> str:
    return str(rca_card(report)[-1]["elements"][0]["text"])


def test_an_uncalibrated_model_counts_little_and_its_unsupported_claims_are_counted(
    server: FakeOpenAI, llm_settings: Settings, run: Run, rules_root: dict[str, Any]
) -> None:
    server.push(
        completion("done"),
        json_answer(
            {
                "hypotheses": [
                    _claim("checkout", "bad_deploy", "c1", "c6"),
                    _claim("payments", "dns_failure"),  # cites nothing
                    _claim(
                        "gateway", "memory_leak", "c1"
                    ),  # outside the rules engine's list, nothing distinctive cited
                ]
            }
        ),
    )
    report = run(llm_settings).report
    assert report is not None and report["reasoner"] == "llm"
    trust = report["trust"]
    assert trust["weight"] == UNCALIBRATED_WEIGHT and trust["calibrated"] is False
    assert "no calibration for" in trust["reason"]
    assert (trust["proposed"], trust["kept"], trust["grounded"], trust["dropped"]) == (3, 1, 0, 2)
    assert any(
        "dropped 2 unsupported" in n and "memory_leak on gateway: no evidence distinctive" in n for n in report["notes"]
    )
    best = report["hypotheses"][0]
    assert (best["service"], best["category"]) == (rules_root["service"], rules_root["category"])
    rules_confidence = trust["rules"][0][2]
    assert best["confidence"] == pytest.approx(
        (1 - UNCALIBRATED_WEIGHT) * rules_confidence + UNCALIBRATED_WEIGHT * 0.9, abs=1e-3
    )
    assert report["proposals"], "the model agrees with the rules engine: its fix is proposed"
    assert f"model weight {UNCALIBRATED_WEIGHT:.2f}, uncalibrated" in _footer(report)


class _Runbooks:
    """Knowledge with the bundled runbooks and nothing to retrieve: what grounding reads."""

    def __init__(self) -> None:
        self._runbooks = [d for d in load_documents([bundled_dir() / "runbooks"]) if isinstance(d, Runbook)]

    def search(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

    def runbooks(self) -> list[Runbook]:
        return self._runbooks


def test_without_runbooks_nothing_is_grounded(server: FakeOpenAI, llm_settings: Settings, run: Run) -> None:
    save_weight(profile_path(llm_settings), llm_settings.model, 0.8, {"scenarios": 66})
    server.push(completion("done"), json_answer({"hypotheses": [_claim("catalog", "bad_deploy", "c6")]}))
    report = run(llm_settings).report
    assert report is not None and report["trust"]["grounded"] == 0 and report["trust"]["dropped"] == 1
    assert report["hypotheses"][0]["service"] != "catalog"


def test_a_trusted_model_may_lead_with_a_grounded_hypothesis_but_not_act_on_it(
    server: FakeOpenAI, llm_settings: Settings, run: Run
) -> None:
    save_weight(profile_path(llm_settings), llm_settings.model, 0.8, {"scenarios": 66})
    # catalog was deployed 6 minutes before the onset (c6): a deploy is distinctive of bad_deploy
    server.push(completion("done"), json_answer({"hypotheses": [_claim("catalog", "bad_deploy", "c6")]}))
    report = run(llm_settings, kb=_Runbooks()).report
    assert report is not None
    trust = report["trust"]
    assert (trust["weight"], trust["calibrated"], trust["grounded"]) == (0.8, True, 1), report["notes"]
    assert trust["rules_leader"] == [trust["rules"][0][0], trust["rules"][0][1]] == ["checkout", "bad_deploy"]
    best = report["hypotheses"][0]
    assert (best["service"], best["category"], best["source"]) == ("catalog", "bad_deploy", "llm")
    assert best["confidence"] == pytest.approx(0.8 * 0.9)  # the rules engine gave it nothing
    assert best["runbook_id"] and any(e["call_id"] == "c6" and e["summary"].startswith("✓") for e in best["evidence"])
    checkout = next(h for h in report["hypotheses"] if h["service"] == "checkout")
    assert checkout["confidence"] == pytest.approx(0.2 * trust["rules"][0][2], abs=1e-3)
    assert report["proposals"] == []
    assert any("the model ranked bad_deploy on catalog above the rules engine's" in n for n in report["notes"])
    assert "model weight 0.80, calibrated" in _footer(report)


def test_the_rules_reasoner_reports_no_model_weight(tmp_path: Any, run: Run) -> None:
    from bot.settings import load_settings

    report = run(load_settings(data_dir=tmp_path / "data", reasoner="rules")).report
    assert report is not None and report["trust"] is None and "model weight" not in _footer(report)
