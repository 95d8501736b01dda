"""The blend ``(1 − w)·rules + w·model`` and the per-model profile that sets ``w``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.reasoners.llm.trust import UNCALIBRATED_WEIGHT, Scored, blend, load_trust, profile_path, save_weight
from bot.settings import load_settings

RULES = [
    Scored("payments", "dependency_outage", 0.9),
    Scored("checkout", "bad_config", 0.7),
    Scored("payments", "cpu_saturation", 0.6),
]


def test_the_blend_weighs_both_sides_and_names_model_only_hypotheses_at_w_times_their_confidence() -> None:
    model = [Scored("checkout", "bad_config", 0.8), Scored("otp", "rate_limiting", 0.9)]
    ranked = blend(RULES, model, 0.5)
    assert [(s.service, s.category, s.confidence) for s in ranked] == [
        ("checkout", "bad_config", 0.75),  # 0.5·0.7 + 0.5·0.8
        ("payments", "dependency_outage", 0.45),  # 0.5·0.9 + 0.5·0 (the model did not name it)
        ("otp", "rate_limiting", 0.45),  # 0.5·0 + 0.5·0.9 (grounded, not in the rules engine's list)
        ("payments", "cpu_saturation", 0.3),
    ]
    # a tie keeps the rules engine's hypothesis first


def test_w_zero_is_the_rules_engine_and_w_one_the_model() -> None:
    model = [Scored("otp", "rate_limiting", 0.9)]
    assert [s.key for s in blend(RULES, model, 0.0)] == [s.key for s in RULES] + [("otp", "rate_limiting")]
    assert blend(RULES, model, 1.0)[0].key == ("otp", "rate_limiting")


def test_the_uncalibrated_weight_ranks_as_the_old_bounded_boost() -> None:
    """(1 − w)·r + w·m orders as r + m·w/(1 − w): the default keeps the model's old 0.1 × confidence bound."""
    assert abs(UNCALIBRATED_WEIGHT / (1 - UNCALIBRATED_WEIGHT) - 0.1) < 0.002
    close = [Scored("a", "bad_deploy", 0.70), Scored("b", "bad_deploy", 0.66)]
    far = [Scored("a", "bad_deploy", 0.70), Scored("b", "bad_deploy", 0.55)]
    backing_b = [Scored("b", "bad_deploy", 0.9)]
    assert blend(close, backing_b, UNCALIBRATED_WEIGHT)[0].service == "b", "a close call is re-ordered"
    assert blend(far, backing_b, UNCALIBRATED_WEIGHT)[0].service == "a", "evidence is not overturned"


def test_a_model_without_a_profile_gets_the_default_and_says_why(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, model="some-model")
    trust = load_trust(settings)
    assert trust.weight == UNCALIBRATED_WEIGHT and not trust.calibrated
    assert "no calibration for some-model" in trust.reason


def test_the_profile_is_keyed_by_model_and_found_in_the_data_dir_or_by_setting(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, model="strong")
    save_weight(profile_path(settings), "strong", 0.55, {"scenarios": 66})
    save_weight(profile_path(settings), "weak", 0.0, {"scenarios": 66})
    assert profile_path(settings) == tmp_path / "llm-profile.json"
    trust = load_trust(settings)
    assert (trust.weight, trust.calibrated) == (0.55, True) and "66 scenarios" in trust.reason
    assert load_trust(settings.model_copy(update={"model": "weak"})).weight == 0.0
    assert load_trust(settings.model_copy(update={"model": "other"})).weight == UNCALIBRATED_WEIGHT

    elsewhere = tmp_path / "team" / "profile.json"
    save_weight(elsewhere, "strong", 0.3, {})
    chosen = load_settings(data_dir=tmp_path, model="strong", llm_profile=elsewhere)
    assert load_trust(chosen).weight == 0.3
    assert set(json.loads(elsewhere.read_text())["models"]) == {"strong"}


def test_a_broken_profile_is_an_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "llm-profile.json").write_text('{"strong": 0.5}')
    with pytest.raises(ValueError, match="llm-profile.json"):
        load_trust(load_settings(data_dir=tmp_path, model="strong"))
