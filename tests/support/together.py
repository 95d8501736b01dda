"""Start the same thing on several threads at the same instant, as replicas starting together do."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["all_at_once"]

T = TypeVar("T")


def all_at_once(start: Callable[[], T], count: int = 4) -> tuple[list[T], list[BaseException]]:
    """Run ``start`` on ``count`` threads released by one barrier; what they returned and what they raised."""
    results: list[T] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run() -> None:
        try:
            barrier.wait()
            results.append(start())
        except BaseException as exc:  # noqa: BLE001 - handed back to the test to assert on
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
