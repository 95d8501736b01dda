"""CLI plumbing: what a command builds at start-up is frozen out of later garbage collections."""

from __future__ import annotations

import gc

import pytest

from bot.cli.common import startup


def test_startup_pauses_the_collector_and_freezes_what_it_built() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    try:
        with startup():
            assert not gc.isenabled()
            kept = [{"n": i} for i in range(1000)]
        assert gc.isenabled() and gc.get_freeze_count() >= frozen + len(kept)
        with pytest.raises(RuntimeError), startup():  # a command that fails on the way still gets it back on
            raise RuntimeError("boom")
        assert gc.isenabled()
    finally:
        gc.unfreeze()
