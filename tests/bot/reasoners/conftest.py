"""Fixtures for the llm reasoner: the fake OpenAI-compatible server and settings pointing at it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from bot.runtime import Outcome
from bot.settings import Settings, load_settings
from tests.support.example_run import alert, investigator
from tests.support.fake_openai import FakeOpenAI, fake_openai


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with fake_openai() as running:
        yield running


@pytest.fixture
def llm_settings(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """Settings from the environment, as a user would set them: OPENAI_BASE_URL, OPENAI_API_KEY, ANDON_REASONER."""
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ANDON_LLM_MAX_RETRIES", "0")
    monkeypatch.setenv("ANDON_LLM_TIMEOUT_S", "5")
    return load_settings(data_dir=tmp_path / "data")


Run = Callable[..., Outcome]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """Investigate the checkout bad-deploy example (propose-only, in-memory checkpoints)."""

    def go(settings: Settings, spec: dict[str, Any] | None = None, trigger: Any = None, **kwargs: Any) -> Outcome:
        kwargs.setdefault("approval_mode", "propose_only")
        kwargs.setdefault("checkpointer", InMemorySaver())
        return investigator(settings, tmp_path, spec, **kwargs).start(alert() if trigger is None else trigger)

    return go


@pytest.fixture(scope="session")
def rules_root(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the rules engine alone concludes for the example (deterministic: computed once)."""
    tmp = tmp_path_factory.mktemp("rules")
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith(("ANDON_", "SLACK_", "OPENAI_")):
                env.delenv(name)
        env.setenv("ANDON_CONFIG_FILE", str(tmp / "absent.yaml"))
        settings = load_settings(data_dir=tmp / "data", reasoner="rules")
    report = (
        investigator(settings, tmp, approval_mode="propose_only", checkpointer=InMemorySaver()).start(alert()).report
    )
    assert report is not None
    return dict(report["root_cause"])
