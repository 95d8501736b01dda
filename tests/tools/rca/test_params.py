"""The engine's parameters: every one named with a reason; a fitted file overrides the defaults; a bad file
is refused with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.rca.params import Params, describe_params, load_params, save_params


def test_every_parameter_has_a_reason() -> None:
    described = describe_params()
    assert len(described) > 40 and all(p["why"] for p in described)
    assert all(lo < hi for p in described if p["tune"] for lo, hi in [p["tune"]])


def test_a_fitted_file_overrides_and_round_trips(tmp_path: Path) -> None:
    fitted = Params(link_credit=0.7, breadth=4)
    save_params(fitted, tmp_path / "p.json", {"cv_top1": 0.9})
    assert load_params(tmp_path / "p.json") == fitted
    assert load_params(tmp_path / "absent.json") == Params()


def test_a_bad_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"params": {"link_credit": 0.7, "magic": 3}}')
    with pytest.raises(ValueError, match="unknown RCA parameters: magic"):
        load_params(tmp_path / "bad.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ValueError, match="cannot read"):
        load_params(tmp_path / "broken.json")
