"""The SQLite checkpointer opens safely when several processes start on a new data directory at once."""

from __future__ import annotations

from pathlib import Path

from bot.checkpoints import open_checkpointer
from tests.support.together import all_at_once


def test_start_ups_racing_on_a_new_file_all_open(tmp_path: Path) -> None:
    for round_ in range(12):  # one round lost the race about one time in ten before WAL switching retried
        data_dir = tmp_path / str(round_)
        savers, errors = all_at_once(lambda: open_checkpointer(None, data_dir))  # noqa: B023 - joined in the round
        for saver in savers:
            saver.conn.close()
        assert errors == []
        assert len(savers) == 4
