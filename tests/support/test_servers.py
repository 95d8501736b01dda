"""The integration fixtures' missing-binary rule: fail under CI, skip elsewhere, naming the packages."""

from __future__ import annotations

import pytest

from tests.support.servers import INSTALL_HINT, require_binary


def test_missing_binary_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install prometheus prometheus-alertmanager"):
        require_binary("andon-no-such-binary", "/nonexistent/andon-no-such-binary")


def test_missing_binary_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=INSTALL_HINT):
        require_binary("andon-no-such-binary", "/nonexistent/andon-no-such-binary")


def test_present_binary_is_found() -> None:
    assert require_binary("sh", "/bin/sh").endswith("sh")
