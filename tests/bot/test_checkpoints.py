"""The SQLite checkpointer opens safely when several processes start on a new data directory at once."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from bot.checkpoints import open_checkpointer


def test_start_ups_racing_on_a_new_file_all_open(tmp_path: Path) -> None:
    for round_ in range(12):  # one round lost the race about one time in ten before WAL switching retried
        savers = _open_four_at_once(tmp_path / str(round_))
        assert len(savers) == 4
        for saver in savers:
            saver.conn.close()


def _open_four_at_once(data_dir: Path) -> list[Any]:
    errors: list[BaseException] = []
    savers: list[Any] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        try:
            barrier.wait()
            savers.append(open_checkpointer(None, data_dir))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return savers
