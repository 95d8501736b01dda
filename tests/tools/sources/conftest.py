"""Fixtures for source tests: recording loopback HTTP and HTTPS servers and the recorded wire-format answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fakehttp import RecordingServer, recording_server
from tests.support.tls import SelfSigned, self_signed_certificate

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


@pytest.fixture
def certificate(tmp_path: Path) -> SelfSigned:
    """A self-signed certificate for 127.0.0.1, made for this test."""
    return self_signed_certificate(tmp_path)


@pytest.fixture
def tls_server(certificate: SelfSigned) -> Iterator[RecordingServer]:
    """A recording server on ``https://127.0.0.1:<port>`` presenting ``certificate``."""
    with recording_server(tls=certificate.server_context()) as started:
        yield started
