"""Fixtures for source tests: a recording loopback HTTP server and the recorded wire-format answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fakehttp import RecordingServer, recording_server

WIRE = Path(__file__).parent / "wire"


@pytest.fixture
def wire() -> Callable[[str], Any]:
    """A fresh copy of ``wire/<name>.json`` (answers copied from the backends' documented formats)."""

    def load(name: str) -> Any:
        return json.loads((WIRE / f"{name}.json").read_text())

    return load


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with recording_server() as started:
        yield started
