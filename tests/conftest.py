"""Shared fixtures: isolated settings and data directories, and one ingested knowledge base per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's environment or andon.yaml."""
    import os

    for name in list(os.environ):
        if name.startswith(("ANDON_", "SLACK_", "OPENAI_", "KUBERNETES_")) or name == "KUBECONFIG":  # a CI pod's own
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANDON_CONFIG_FILE", str(tmp_path / "absent-andon.yaml"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The bundled knowledge, ingested once into an embedded Chroma for the whole session."""
    from bot.runtime import open_knowledge

    data = tmp_path_factory.mktemp("kb")
    yield open_knowledge(load_settings(data_dir=data))


@pytest.fixture
def examples_dir() -> Path:
    return ROOT / "examples"
