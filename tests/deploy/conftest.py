"""The real ``helm`` binary (scripts/setup.sh --test puts it in .venv/bin) and a chart renderer."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.manifests import documents

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "andon"


def _find_helm() -> str | None:
    beside = Path(sys.executable).parent / "helm"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("helm")


@pytest.fixture(scope="session")
def helm() -> str:
    found = _find_helm()
    if found is None:
        message = "helm not found: `bash scripts/setup.sh --test` installs it into .venv/bin (Linux x86_64)"
        if os.environ.get("CI") and (platform.system(), platform.machine()) == ("Linux", "x86_64"):
            pytest.fail(message)  # CI installs it: a missing helm there is a broken setup, not a skip
        pytest.skip(message)
    return found


Render = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def render(helm: str, tmp_path: Path) -> Render:
    """``render("--set", "mode=http")``: the chart's objects as ``helm template andon --namespace andon`` gives them."""

    def run(*args: str) -> list[dict[str, Any]]:
        done = template(helm, tmp_path, *args)
        assert done.returncode == 0, done.stderr
        return documents(done.stdout)

    return run


def template(helm: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``helm template`` with Helm's config and cache kept in ``home``."""
    env = {**os.environ, **{f"HELM_{kind}_HOME": str(home / kind.lower()) for kind in ("CACHE", "CONFIG", "DATA")}}
    return subprocess.run(
        [helm, "template", "andon", str(CHART), "--namespace", "andon", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
